"""Models of sla (built by its issue)."""
