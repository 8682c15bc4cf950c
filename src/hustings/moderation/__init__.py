"""Moderation: the status of each message as an item of work, reports, queues, decisions, appeals."""
