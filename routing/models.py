"""Routing records. The assignment ledger: every routing decision and every manual reassignment."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from leadops import clock


class AssignmentMethod(models.TextChoices):
    ACCOUNT_MATCH = "account_match", "Account match"
    RULE_REP = "rule_rep", "Rule: named rep"
    ROUND_ROBIN = "round_robin", "Weighted round robin"
    QUEUE = "queue", "Team queue (nobody available)"
    MANUAL = "manual", "Manual reassignment"
    ACCEPT = "accept", "Chosen on acceptance"


class Assignment(models.Model):
    """One row per decision: who got the lead (or which queue), how, why, and how long it took."""

    lead = models.ForeignKey("lifecycle.Lead", on_delete=models.CASCADE, related_name="assignments")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                            related_name="assignments")
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    previous_rep = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    method = models.CharField(max_length=16, choices=AssignmentMethod.choices)
    rule_name = models.CharField(max_length=120, blank=True)
    candidates = models.JSONField(default=list, blank=True,
                                  help_text="Reps considered, each with why it was skipped or chosen.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.TextField(blank=True)
    cycle = models.PositiveIntegerField(default=0)
    decided_at = models.DateTimeField(default=clock.now)
    latency_ms = models.BigIntegerField(null=True, blank=True, help_text="From became_mql_at to the decision.")

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["lead", "decided_at"], name="assignment_lead_time"),
                   models.Index(fields=["rep", "decided_at"], name="assignment_rep_time")]

    def __str__(self) -> str:
        return f"{self.lead_id} -> {self.rep or self.team} ({self.method})"
