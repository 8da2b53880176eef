from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "routing"

    def ready(self) -> None:
        from leadops import events
        from routing import handlers

        events.subscribe("lead.mql", handlers.on_mql)
        events.subscribe("lead.stage_changed", handlers.on_stage_changed)
        events.subscribe("lead.assigned", handlers.on_assigned)
        events.subscribe("rep.updated", handlers.on_rep_updated)
