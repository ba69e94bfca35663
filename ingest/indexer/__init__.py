"""The indexer: takes batches off the transport, writes them to the store, acknowledges them."""
