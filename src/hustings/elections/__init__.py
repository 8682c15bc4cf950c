"""Elections: the election and its ballots, the candidate register imported from Democracy Club,
the period of heightened protection, and the guidance library.

The domain here imports neither SQLAlchemy nor FastAPI: `model` (ids, dates, the period),
`events` (the event vocabulary and the pure reducers), `register` (reading Democracy Club's
candidates CSV), `service` (`Elections`, over an `ElectionStore`), `memory` (the in-memory store
for tests) and `guidance` (the advice pages). The SQL store is `hustings.storage.elections`.
"""
