"""The message stream: ingest in front of the work, workers behind it (NATS JetStream).

With ``HUSTINGS_BROKER_URL`` set, ingest validates each message and publishes it to a JetStream
stream on a subject chosen by its first target (`partition`), and answers once the broker has
acknowledged it (`broker.Broker`). `hustings worker` (`worker.Worker`) takes partitions under a
lease, one worker per partition at a time, and stores, assesses and logs each batch through
`Services.ingest` in one transaction, acknowledging only after the commit. docs/deploy.md
describes the layout.
"""
