"""The scoring API: /scoring-models/ (versions, activation, dry run, calibration)."""
