"""Transports carry batches from collectors to indexers: in-process queue or Kafka."""
