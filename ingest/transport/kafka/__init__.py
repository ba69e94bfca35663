"""The scaled transport: collectors produce to Kafka, indexers consume from it.

Delivery contract (end-to-end acknowledgements, at-least-once, made exactly-once in the store
by deterministic event ids):

- :class:`KafkaSender` produces one message per event (format in
  :mod:`ingest.transport.kafka.codec`) with ``acks=all`` and idempotence, and calls a batch's
  ``ack`` only when Kafka acknowledged every message of it, batches in the order sent. If a
  message fails for good (Kafka unreachable for ``delivery_timeout_ms``), that batch and every
  later one stay unacknowledged and ``send``/``flush`` raise :class:`TransportError` from then
  on: acknowledging a later batch would move a file checkpoint past lines Kafka never got.
  The process must be restarted; sources then re-read from their last checkpoint.
- dead letters (and events that cannot be serialized or are too large) go to the dead-letter
  topic; the indexer's :class:`KafkaReceiver` reads both topics and hands dead letters to the
  store like any other.
- :class:`KafkaReceiver` never auto-commits. A batch's ``ack`` (called by the indexer after
  the store wrote the batch) commits exactly that batch's offsets (last offset + 1 per
  partition). A message that is not a canhgac message (bad JSON, wrong shape) becomes a
  dead letter *in the batch* with the reason, so it is stored and committed together with the
  rest of the batch instead of being re-read forever or produced to another topic.
- the indexer must store (and ack) a batch before acknowledging later ones (it retries the
  same batch until stored); a commit that fails because the partition moved to another
  consumer is only logged, since the new owner re-reads those messages and the store ignores
  the ids it already has.

Roles: :mod:`~ingest.transport.kafka.client` (connection options,
error translation: every ``kafka`` exception becomes :class:`TransportError` there),
:mod:`~ingest.transport.kafka.topics` (topic setup), :mod:`~ingest.transport.kafka.codec`
(message format), :mod:`~ingest.transport.kafka.sender` (producer end) and
:mod:`~ingest.transport.kafka.receiver` (consumer end).
"""

import warnings

# Loaded here, in the package, because a package runs before any of its modules: every module
# below imports kafka-python directly, and it must already be loaded with these warnings off.
with warnings.catch_warnings():
    # kafka-python 3.0 loads its protocol schemas at import time through importlib.resources
    # functions that Python 3.11 deprecates; silence exactly those, once, here.
    warnings.filterwarnings(
        "ignore", r".* is deprecated\. Use files\(\) instead", DeprecationWarning
    )
    # The clients (producer, consumer, admin) and the submodules the role modules use.
    import kafka
    import kafka.codec
    import kafka.errors
    import kafka.structs  # noqa: F401
