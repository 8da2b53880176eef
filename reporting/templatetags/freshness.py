"""``{% data_freshness %}`` (base.html): "Data as of HH:MM UTC" on the report pages whose templates do not say
it themselves (funnel, SLA, attribution, lead quality, win/loss, campaign calendar). The time is the
rollups' ``as_of`` when they answer (at most 5 minutes old), else now (computed live); a page whose numbers
are partly live is at least as fresh as it says."""

from __future__ import annotations

from typing import Any

from django import template

from reporting.selectors import rollups

register = template.Library()

PAGES = {"funnel", "sla", "attribution", "lead_quality", "win_loss", "campaign_calendar"}


@register.inclusion_tag("reporting/_data_freshness.html", takes_context=True)
def data_freshness(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "reporting" or match.url_name not in PAGES:
        return {"as_of": None}
    return {"as_of": rollups.data_as_of()}
