"""Hand-off to case management: TheHive 5 alerts, DFIR-IRIS alerts, Jira issues."""
