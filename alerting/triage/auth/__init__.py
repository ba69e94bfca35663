"""Who is asking: local accounts, browser sessions, API tokens, roles and CSRF."""
