from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "leadops.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from leadops import events
        from leadops.webhooks import services
        from leadops.webhooks.models import Subscription

        # lifecycle events go into the outbox in the transaction of the change (sla writes its own rows)
        for name in services.LIFECYCLE_EVENTS:
            events.subscribe_in_transaction(name, services.outbox_write)
        # which events anyone wants is cached per process; a subscription write tells every process
        post_save.connect(services.subscriptions_changed, sender=Subscription, dispatch_uid="webhooks-subs-save")
        post_delete.connect(services.subscriptions_changed, sender=Subscription, dispatch_uid="webhooks-subs-del")
