"""Models of routing (built by its issue)."""
