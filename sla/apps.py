from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "SLAs"

    def ready(self) -> None:
        from leadops import events
        from lifecycle.selectors import TIMELINE_PROVIDERS
        from sla import handlers
        from sla.selectors import clock_timeline

        for name, handler in handlers.SUBSCRIPTIONS:
            events.subscribe_in_transaction(name, handler)
        if clock_timeline not in TIMELINE_PROVIDERS:
            TIMELINE_PROVIDERS.append(clock_timeline)
        # the 24x7 calendar and version 1 of each policy come back after a flush (tests), like the catalogues
        post_migrate.connect(seed_defaults, sender=self)


def seed_defaults(sender, using="default", apps=None, **kwargs) -> None:
    if apps is not None:
        try:  # the state after this migrate: the SLA tables may not exist (``migrate sla zero``)
            apps.get_model("sla", "SlaPolicy")
        except LookupError:
            return
    from sla.services.policies import ensure_defaults

    ensure_defaults()
