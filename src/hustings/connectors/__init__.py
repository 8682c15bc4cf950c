"""Connectors: follow a platform live (`hustings connect bluesky|mastodon`), reusing the
converters of `hustings.sources`.

Each connector reads its source over WebSocket (`follow.Follower`), converts what it reads as
`hustings ingest --format` does, and ingests it batch by batch, each batch in its own unit of
work with the position it ends at (`cursor`), so a restart resumes where the last commit left
off, losing and duplicating nothing. See docs/sources.md.
"""
