"""Webhooks: subscriptions, the outbox fan-out, signed deliveries with retries and their log (api.md)."""
