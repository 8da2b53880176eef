"""Workspace fixtures: leads walked through the real services with their after-commit reactions run
(SLA clocks start, routing decides), so the pages show what production would."""

from __future__ import annotations

import pytest

from lifecycle import services
from lifecycle.models import Lead
from lifecycle.services import Actor
from tests.lifecycle.walk import BANT, new_lead

PASSWORD = "pw-for-tests-1"  # tests.leadops.factories.UserFactory's; org's service-made reps get it below


class Desk:
    """Each method is one user action, committed with its reactions (``execute=True`` under ``db``)."""

    def __init__(self, org, capture):
        self.org = org
        self._capture = capture
        for user in (org.rep_east, org.rep_east2, org.rep_west):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])

    def run(self, fn, *args, **kwargs):
        if self._capture is None:
            return fn(*args, **kwargs)
        with self._capture(execute=True):
            return fn(*args, **kwargs)

    def mql(self, owner=None, **fields) -> Lead:
        """An MQL routed to ``owner`` (rep_east by default) and so to the owner's team."""
        fields.setdefault("phone", "+1 555 0100")
        lead = self.run(new_lead, **fields)
        self.run(services.lead_promote, lead_id=lead.pk, to="mql", actor=Actor.of(self.org.mops))
        self.run(services.lead_assign, lead_id=lead.pk, owner_id=(owner or self.org.rep_east).pk,
                 actor=self.org.admin)
        return Lead.objects.get(pk=lead.pk)

    def sal(self, owner=None, **fields) -> Lead:
        lead = self.mql(owner, **fields)
        self.run(services.lead_accept, lead_id=lead.pk, actor=Actor.of(self.org.manager_east))
        return Lead.objects.get(pk=lead.pk)

    def sql(self, owner=None, **fields) -> Lead:
        lead = self.sal(owner, **fields)
        self.run(services.lead_qualify, lead_id=lead.pk, actor=Actor.of(lead.owner), bant=BANT)
        return Lead.objects.get(pk=lead.pk)


@pytest.fixture
def desk(org, django_capture_on_commit_callbacks):
    return Desk(org, django_capture_on_commit_callbacks)


@pytest.fixture
def live_desk(org):
    """For live-server tests (transactional_db): commits are real, reactions run by themselves."""
    return Desk(org, None)
