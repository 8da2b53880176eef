from django.apps import AppConfig
from django.core import checks


class LifecycleConfig(AppConfig):
    name = "lifecycle"

    def ready(self) -> None:
        checks.register(check_transition_table, checks.Tags.models)


def check_transition_table(app_configs, **kwargs):
    from lifecycle.state_machine import check_table

    return [checks.Error(problem, id="lifecycle.E001") for problem in check_table()]
