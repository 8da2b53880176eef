"""Reactions of routing to domain events (registered in ``RoutingConfig.ready``; run after commit).

* ``lead.mql``: route the lead (a Celery task).
* Something that may free a rep: a lead they own leaves the open stages (``lead.stage_changed`` to
  nurture, disqualified or customer), a lead is reassigned away from them (``lead.assigned`` with a
  ``previous_rep``), their profile changed (``rep.updated``: active again, more capacity, leave
  shortened). If the rep's team has queued MQLs, the retry runs for that team at once.
* A leave that simply ends is not an event: the beat's retry pass (every minute) catches it.
"""

from __future__ import annotations

from leadops.events import DomainEvent
from leadops.models import RepProfile, User
from lifecycle.models import Lead
from lifecycle.state_machine import Stage
from routing import selectors, tasks
from routing.availability import OPEN_STAGES

FREEING_STAGES = {Stage.NURTURE, Stage.DISQUALIFIED, Stage.CUSTOMER}


def on_mql(event: DomainEvent) -> None:
    if event.lead_id is not None:
        tasks.route_lead.delay(event.lead_id)


def nudge(team_id: int | None) -> None:
    """Retry the team's queue now, if it has one."""
    if team_id is not None and selectors.has_queued_leads(team_id=team_id):
        tasks.retry_queued_leads.delay(team_id=team_id)


def on_stage_changed(event: DomainEvent) -> None:
    if event.lead_id is not None and event.data.get("from") in OPEN_STAGES and event.data.get("to") in FREEING_STAGES:
        nudge(Lead.objects.filter(pk=event.lead_id, owner__isnull=False).values_list("owner__team_id", flat=True)
              .first())


def on_assigned(event: DomainEvent) -> None:
    previous = event.data.get("previous_rep")
    if previous is not None:
        nudge(User.objects.filter(pk=previous).values_list("team_id", flat=True).first())


def on_rep_updated(event: DomainEvent) -> None:
    rep = event.data.get("rep")
    if rep is not None:
        nudge(RepProfile.objects.filter(pk=rep).values_list("user__team_id", flat=True).first())
