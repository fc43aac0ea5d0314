"""Pages (Jinja2 + htmx), request dependencies and the audit/CSRF plumbing."""
