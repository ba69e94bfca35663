"""Alerting: detect -> alerts -> notify | triage."""
