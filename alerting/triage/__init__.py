"""The analysts' triage web UI and REST API (``canhgac web``).

:func:`create_app` builds the FastAPI application from a store, a triage store and the
settings; :func:`serve` runs it for the CLI; :func:`create_user` adds a local account.
"""

from alerting.triage.app import create_app, serve
from alerting.triage.auth.accounts import create_user

__all__ = ["create_app", "create_user", "serve"]
