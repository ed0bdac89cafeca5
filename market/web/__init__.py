"""Home page, language switch, dashboards, health check and shared view helpers."""
