from django.apps import AppConfig
from django.core import checks
from django.db.models.signals import post_migrate


class LifecycleConfig(AppConfig):
    name = "lifecycle"

    def ready(self) -> None:
        checks.register(check_transition_table, checks.Tags.models)
        # The default catalogues come back after a flush (tests) like Django's own permissions do.
        post_migrate.connect(seed_catalogues, sender=self)


def check_transition_table(app_configs, **kwargs):
    from lifecycle.state_machine import check_table

    return [checks.Error(problem, id="lifecycle.E001") for problem in check_table()]


def seed_catalogues(sender, using="default", **kwargs) -> None:
    from lifecycle.catalogue import ensure_defaults
    from lifecycle.models import DispositionReason, LeadTypeOption, TouchChannel, TouchOutcome

    ensure_defaults(DispositionReason, TouchChannel, TouchOutcome, LeadTypeOption)
