"""The server-rendered pages (Jinja2, autoescaped) and their form posts."""
