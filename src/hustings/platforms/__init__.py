"""Referrals to the platforms where content lives, and the platforms' measured response.

The way in is the `PlatformReferrals` service (`hustings.platforms.service`), built by
`hustings.services.Services` as ``services.platform_referrals``.
"""
