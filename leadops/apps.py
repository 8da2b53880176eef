from django.apps import AppConfig


class LeadopsConfig(AppConfig):
    name = "leadops"
    verbose_name = "Organisation"
