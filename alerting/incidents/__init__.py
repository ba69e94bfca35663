"""Incidents: alerts grouped into one piece of work (changes, storage with retries, grouping).

The triage UI and API (:mod:`alerting.triage`) act on incidents through these; the detect
role runs automatic grouping (:mod:`alerting.incidents.grouping`).
"""
