"""Models of scoring (built by its issue)."""
