"""Moderation: the status of each message as an item of work, reports, queues, decisions, appeals.

`service.Moderation` (built by `Services` as `services.moderation`) is the way in; the rules are
in the pure modules beside it.
"""
