"""The web shell: layout, home page per role, language switch, error pages, health checks."""
