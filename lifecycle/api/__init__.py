"""The lifecycle REST API (api.md): leads and their actions, touches, events, opportunities, reference data."""
