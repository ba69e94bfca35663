"""English messages of the event search page (merged into the catalogue by the package)."""

MESSAGES: dict[str, str] = {
    "nav.search": "Search",
    "search.title": "Event search",
    "search.query": "Query",
    "search.from": "From (Hanoi time)",
    "search.to": "To (Hanoi time)",
    "search.columns": "Columns (comma-separated fields)",
    "search.go": "Search",
    "search.help": "Query language",
    "search.help_text": (
        "field:value matches a whole value (case-insensitive; * and ? are wildcards); a bare"
        ' word or a "quoted phrase" is searched anywhere in the raw line; ranges'
        " field:[a TO b] and field>=n compare numbers; combine with AND, OR, NOT and"
        " parentheses."
    ),
    "search.error": "The query cannot be searched: {reason} (at character {position}).",
    "search.hits": "{count} matching events",
    "search.export_csv": "Export CSV",
    "search.export_ndjson": "Export NDJSON",
    "search.sigma_draft": "Save as Sigma rule draft",
    "search.histogram": "Matching events over time",
    "search.peak": "highest bar: {count}",
    "search.top_values": "Top values",
    "search.top_sample": "Counted over the newest {count} matching events.",
    "search.filter_in": "Only events with this value",
    "search.filter_out": "Leave out events with this value",
    "search.none": "No event matches.",
    "search.first_page": "Newest",
    "search.next_page": "Older events →",
    "entity.kind.ip": "IP address",
    "entity.kind.host": "Host",
    "entity.kind.user": "User",
    "entity.events": "Events (last 7 days unless chosen)",
    "entity.search_events": "search these events",
    "entity.first_seen": "First seen",
    "entity.last_seen": "Last seen",
    "entity.related": "Related entities",
    "entity.no_related": "No related entity in its events.",
    "entity.alerts": "Alerts",
    "entity.no_alerts": "No alert names it.",
    "entity.alert_last_seen": "Last seen",
    "entity.alert_severity": "Severity",
    "entity.alert_rule": "Rule",
    "entity.alert_status": "Status",
}
