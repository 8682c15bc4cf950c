"""Server-rendered pages (Jinja2 + htmx), one module per concept; each exposes `router` and may expose `NAV`."""
