"""Ingest: sources -> parse -> transport -> indexer -> store."""
