from django.apps import AppConfig


class LeadopsConfig(AppConfig):
    name = "leadops"
    verbose_name = "Organisation"

    def ready(self) -> None:
        from leadops.api import schema  # noqa: F401 - registers the token auth scheme with drf-spectacular
