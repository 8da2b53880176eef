"""SLA fixtures: a walker that moves leads through the real services one committed step at a time (so
every after-commit reaction runs, as in production), and clock readers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from leadops import services as org_services
from leadops.models import OutOfOffice, RepProfile
from leadops.roles import Role
from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor
from sla.models import Notification, SlaClock
from tests.lifecycle.walk import BANT, new_lead

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
D = dt.timedelta(days=1)


class Walker:
    """Each method is one user action, committed, with its after-commit reactions run."""

    def __init__(self, org, capture):
        self.org = org
        self._capture = capture

    def run(self, fn, *args, **kwargs):
        with self._capture(execute=True):
            return fn(*args, **kwargs)

    def lead(self, **fields) -> Lead:
        fields.setdefault("phone", "+1 555 0100")
        return self.run(new_lead, **fields)

    def mql(self, lead: Lead | None = None, **fields) -> Lead:
        lead = lead or self.lead(**fields)
        self.run(services.lead_promote, lead_id=lead.pk, to="mql", actor=Actor.of(self.org.mops))
        return self.fresh(lead)

    def assign(self, lead: Lead, rep=None) -> Lead:
        self.run(services.lead_assign, lead_id=lead.pk, owner_id=(rep or self.org.rep_east).pk, actor=self.org.admin)
        return self.fresh(lead)

    def accept(self, lead: Lead, owner=None) -> Lead:
        self.run(services.lead_accept, lead_id=lead.pk, actor=Actor.of(self.org.manager_east), owner=owner)
        return self.fresh(lead)

    def reject(self, lead: Lead, reason: str = "wrong_company_size") -> Lead:
        self.run(services.lead_reject, lead_id=lead.pk, actor=Actor.of(self.org.manager_east), reason_code=reason)
        return self.fresh(lead)

    def qualify(self, lead: Lead) -> Lead:
        self.run(services.lead_qualify, lead_id=lead.pk, actor=Actor.of(lead.owner or self.org.rep_east), bant=BANT)
        return self.fresh(lead)

    def convert(self, lead: Lead) -> Lead:
        self.run(services.lead_convert, lead_id=lead.pk, actor=Actor.of(lead.owner or self.org.rep_east),
                 amount=Decimal("1000"), close_date=dt.date(2027, 3, 31))
        return self.fresh(lead)

    def recycle(self, lead: Lead, reason: str = "bad_timing") -> Lead:
        self.run(services.lead_recycle, lead_id=lead.pk, actor=Actor.of(self.org.manager_east), reason_code=reason)
        return self.fresh(lead)

    def disqualify(self, lead: Lead, reason: str = "unresponsive", override: bool = False, by=None) -> Lead:
        self.run(services.lead_disqualify, lead_id=lead.pk, actor=Actor.of(by or self.org.manager_east),
                 reason_code=reason, override=override)
        return self.fresh(lead)

    def touch(self, lead: Lead, *, at: dt.datetime | None = None, outcome: str = "attempted", rep=None) -> Lead:
        from leadops import clock

        self.run(services.touch_log, lead_id=lead.pk, rep=rep or lead.owner or self.org.rep_east, channel="call",
                 outcome=outcome, occurred_at=at or clock.now())
        return self.fresh(lead)

    def demo_request(self, lead: Lead, *, at: dt.datetime | None = None) -> Lead:
        from leadops import clock

        self.run(services.event_record, lead=lead, type="demo_request", occurred_at=at or clock.now())
        return self.fresh(lead)

    def sal(self, **fields) -> Lead:
        return self.accept(self.assign(self.mql(**fields)))

    @staticmethod
    def fresh(lead: Lead) -> Lead:
        return Lead.objects.select_related("owner", "team").get(pk=lead.pk)


@pytest.fixture
def walker(org, django_capture_on_commit_callbacks):
    return Walker(org, django_capture_on_commit_callbacks)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """``sweep()``: one sweep now, with its after-commit work (e-mail) run."""
    from sla.services import sla_sweep

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return sla_sweep(**kwargs)

    return run


def clock_of(lead: Lead, kind: str) -> SlaClock:
    return SlaClock.objects.get(lead=lead, kind=kind, cycle=Lead.objects.get(pk=lead.pk).recycle_count)


def clocks_of(lead: Lead) -> dict[str, SlaClock]:
    return {c.kind: c for c in SlaClock.objects.filter(lead=lead).order_by("cycle", "id")}


def notified(c: SlaClock, kind: str) -> list[str]:
    return sorted(Notification.objects.filter(clock=c, kind=kind).values_list("recipient__username", flat=True))


def away(user, start: dt.datetime, end: dt.datetime) -> OutOfOffice:
    return OutOfOffice.objects.create(rep=RepProfile.objects.get(user=user), starts_at=start, ends_at=end)


def second_manager(org, name: str = "mgr_east_b"):
    return org_services.user_create(username=name, role=Role.SALES_MANAGER, team=org.east)
