from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "leadops.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from leadops import events
        from leadops.webhooks import services

        # lifecycle events go into the outbox in the transaction of the change (sla writes its own rows)
        for name in services.LIFECYCLE_EVENTS:
            events.subscribe_in_transaction(name, services.outbox_write)
