"""Routing records: the rules, the round-robin state per team, the settings, and the assignment ledger.

The ledger (``Assignment``) holds every routing decision and every manual reassignment. The rules say
where an MQL goes; ``RoundRobinState`` is the per-team cursor of the weighted round robin, locked with
``SELECT ... FOR UPDATE`` by every pick so that two workers never hand out the same slot.
See docs/routing.md.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from leadops import clock
from routing.regions import REGIONS


class AssignmentMethod(models.TextChoices):
    ACCOUNT_MATCH = "account_match", "Account match"
    RULE_REP = "rule_rep", "Rule: named rep"
    ROUND_ROBIN = "round_robin", "Weighted round robin"
    QUEUE = "queue", "Team queue (nobody available)"
    UNMATCHED = "unmatched", "No rule matched (no default rule)"
    MANUAL = "manual", "Manual reassignment"
    ACCEPT = "accept", "Chosen on acceptance"


# The methods of automatic routing decisions (the others are people's choices).
ROUTING_METHODS = (
    AssignmentMethod.ACCOUNT_MATCH,
    AssignmentMethod.RULE_REP,
    AssignmentMethod.ROUND_ROBIN,
    AssignmentMethod.QUEUE,
    AssignmentMethod.UNMATCHED,
)


class RouteTrigger(models.TextChoices):
    MQL = "mql", "The lead became MQL"
    RETRY = "retry", "Retry of a queued lead"


class SkipReason(models.TextChoices):
    """Why a candidate rep was not chosen (ledger ``candidates[].skipped``)."""

    INACTIVE = "inactive", "Inactive"
    NOT_A_REP = "not_a_rep", "Not a sales rep"
    OUT_OF_OFFICE = "out_of_office", "Out of office"
    AT_CAPACITY = "at_capacity", "At capacity"
    TEAM_AT_CAPACITY = "team_at_capacity", "Team at capacity"


class RoutingRule(models.Model):
    """Where MQLs go. Rules are tried by ``priority`` (lower first, ties by id); the default rule last.

    Every condition that is set must hold (an empty list or an empty bound means "any"); inside a list,
    one match is enough. ``countries`` and ``regions`` together are one geography condition: the lead's
    country is in the countries or in one of the regions. The target is a team (weighted round robin)
    or a named rep; exactly one of the two.
    """

    name = models.CharField(max_length=120, unique=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower is tried first; ties by id.")
    active = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="Matches every lead, tried after all other rules; has no conditions."
    )
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True,
                           help_text="ISO 3166-1 alpha-2 codes.")
    regions = ArrayField(models.CharField(max_length=8, choices=[(r, r) for r in REGIONS]), default=list,
                         blank=True)
    employee_count_min = models.PositiveIntegerField(null=True, blank=True)
    employee_count_max = models.PositiveIntegerField(null=True, blank=True)
    industries = ArrayField(models.CharField(max_length=80), default=list, blank=True,
                            help_text="Matched case-insensitively.")
    lead_types = ArrayField(models.CharField(max_length=24), default=list, blank=True)
    sources = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    target_team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="routing_rules")
    target_rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="routing_rules")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["is_default", "priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(target_team__isnull=False, target_rep__isnull=True)
                           | models.Q(target_team__isnull=True, target_rep__isnull=False)),
                name="routing_rule_one_target",
            ),
            models.CheckConstraint(
                condition=(models.Q(employee_count_min__isnull=True) | models.Q(employee_count_max__isnull=True)
                           | models.Q(employee_count_max__gte=models.F("employee_count_min"))),
                name="routing_rule_size_range",
            ),
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True, active=True),
                                    name="routing_rule_one_active_default"),
        ]

    def __str__(self) -> str:
        return self.name


class CatchUp(models.TextChoices):
    NONE = "none", "No catch-up: a returning rep starts even"
    CAPPED = "capped", "Capped catch-up: credit accrues while away, up to a limit"


class RoutingSettings(models.Model):
    """The routing configuration an admin changes without a deploy (one row, id 1)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    catch_up = models.CharField(max_length=8, choices=CatchUp.choices, default=CatchUp.NONE,
                                help_text="What a rep back from leave (or from capacity) gets.")
    catch_up_max_leads = models.PositiveSmallIntegerField(
        default=0, help_text="With capped catch-up: at most this many extra leads, roughly, on return."
    )
    account_match = models.BooleanField(default=True, help_text="Route to the available account owner first.")
    retry_limit = models.PositiveIntegerField(
        default=5000, help_text="Queued MQLs looked at per retry pass (oldest first)."
    )
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "routing settings"
        verbose_name_plural = "routing settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="routing_settings_singleton")]

    def __str__(self) -> str:
        return "Routing settings"


class RoundRobinState(models.Model):
    """The smooth weighted round robin of one team: slots handed out and each rep's credit.

    ``credits`` maps a rep's user id (as a string) to ``{"credit": int, "weight": int, "present": bool}``.
    Every pick locks this row (``SELECT ... FOR UPDATE``), so picks of one team are serialised across
    workers and each slot number is handed out once.
    """

    team = models.OneToOneField("leadops.Team", primary_key=True, on_delete=models.CASCADE,
                                related_name="round_robin")
    seq = models.BigIntegerField(default=0, help_text="Slots handed out so far (the last slot number).")
    credits = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "round-robin state"

    def __str__(self) -> str:
        return f"round robin of team {self.team_id} (slot {self.seq})"


class Assignment(models.Model):
    """One row per decision: who got the lead (or which queue), how, why, and how long it took."""

    lead = models.ForeignKey("lifecycle.Lead", on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="assignments")
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous_rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    method = models.CharField(max_length=16, choices=AssignmentMethod.choices)
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             help_text="The rule that matched (its name is kept in rule_name).")
    rule_name = models.CharField(max_length=120, blank=True)
    candidates = models.JSONField(default=list, blank=True,
                                  help_text="Reps considered, each with why it was skipped or chosen.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.TextField(blank=True)
    cycle = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(default=clock.now)
    latency_ms = models.BigIntegerField(null=True, blank=True, help_text="From became_mql_at to the decision.")
    slot = models.BigIntegerField(null=True, blank=True,
                                  help_text="Round robin: the team's slot number this pick took.")
    trigger = models.CharField(max_length=8, blank=True, db_default="", default="",
                               help_text="Routing: mql (first decision) or retry (a queued lead re-routed).")

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["lead", "decided_at"], name="assignment_lead_time"),
                   models.Index(fields=["rep", "decided_at"], name="assignment_rep_time"),
                   models.Index(fields=["team", "decided_at"], name="assignment_team_time")]
        constraints = [
            models.UniqueConstraint(fields=["team", "slot"], condition=models.Q(slot__isnull=False),
                                    name="assignment_slot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} -> {self.rep or self.team} ({self.method})"

    def event_data(self) -> dict[str, Any]:
        """The one payload of ``lead.assigned`` and ``lead.queued`` (and so of the ``lead.assigned`` webhook),
        whoever decided: routing, a manual reassignment, an owner chosen on acceptance, the demo loader.
        ``trigger`` (``mql``, ``retry``) is null and ``rule`` null for decisions that are not routing's."""
        return {"assignment_id": self.pk, "rep": self.rep_id, "previous_rep": self.previous_rep_id,
                "method": str(self.method), "team": self.team_id, "rule": self.rule_id,
                "trigger": self.trigger or None, "latency_ms": self.latency_ms}
