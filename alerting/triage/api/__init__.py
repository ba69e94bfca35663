"""The REST API under ``/api/v1``: what the pages do, as JSON, with an OpenAPI document."""
