"""Which reducer derives the status of each subject type. One line per concept."""

from __future__ import annotations

from hustings.events.model import Reducer


def default_reducers() -> dict[str, Reducer]:
    from hustings.auth.events import SUBJECT as ACCOUNT
    from hustings.auth.events import reduce_account
    from hustings.complaints.events import REDUCERS as COMPLAINTS
    from hustings.elections.events import REDUCERS as ELECTIONS
    from hustings.elections.teams import REDUCERS as TEAMS
    from hustings.messages.events import SUBJECT as MESSAGE
    from hustings.messages.events import reduce_message
    from hustings.moderation.awaiting import REDUCERS as AWAITING
    from hustings.moderation.notes import REDUCERS as NOTES
    from hustings.notifications.events import REDUCERS as NOTIFICATIONS
    from hustings.platforms.events import REDUCERS as PLATFORMS
    from hustings.protection.events import REDUCERS as PROTECTION
    from hustings.protection.private import REDUCERS as PRIVATE_DETAILS
    from hustings.referrals.model import SUBJECT as REFERRAL
    from hustings.referrals.model import reduce_referral
    from hustings.transparency.submit import SUBJECT as DSA_STATEMENT
    from hustings.transparency.submit import reduce_submission

    return {
        ACCOUNT: reduce_account,
        MESSAGE: reduce_message,
        REFERRAL: reduce_referral,
        DSA_STATEMENT: reduce_submission,
        **PROTECTION,
        **ELECTIONS,
        **COMPLAINTS,
        **PRIVATE_DETAILS,
        **TEAMS,
        **PLATFORMS,
        **NOTES,
        **AWAITING,
        **NOTIFICATIONS,
    }
