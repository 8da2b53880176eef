"""Read-only metrics of domain.md sections 8 and 9, each implemented once; the API, the CSV exports and
the pages all call these. See docs/metrics.md for every definition in words and as query logic."""
