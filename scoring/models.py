"""Scoring records: versioned scoring models and their rules, rescoring runs, score changes, high-intent signals.

A scoring model version is immutable once created (its rules are never edited: a change is a new
version), so every stored score can be explained by the version that produced it. Exactly one version
is active: a partial unique index allows at most one, the default is seeded by migration 0002, and
``scoring.services.scoring_model_activate`` swaps the flag in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from leadops import clock


class ScoringModel(models.Model):
    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120, blank=True)
    description = models.TextField(blank=True)
    threshold = models.IntegerField(default=60, help_text="MQL threshold: a total at or above it is an MQL.")
    high_intent_event_types = ArrayField(
        models.CharField(max_length=40), default=list, blank=True,
        help_text="Event types that make a lead MQL at once, whatever its score.")
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, help_text="When it was last made the active version.")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="scoring_one_active_model"),
            models.CheckConstraint(condition=models.Q(threshold__gte=1, threshold__lte=1000),
                                   name="scoring_threshold_in_range"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}" + (f" {self.name}" if self.name else "") + (" (active)" if self.is_active else "")


class FitRule(models.Model):
    """A firmographic condition on one whitelisted fact (``scoring.engine.FACTS``) worth ``points``."""

    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="fit_rules")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=80)
    field = models.CharField(max_length=40, help_text="A fact name, e.g. employee_count, industry, account.country.")
    operator = models.CharField(max_length=12, help_text="equals, in, not_in, range, contains")
    value = models.JSONField(help_text='equals: a value; in/not_in: a list; range: {"min", "max"}; contains: text.')
    points = models.IntegerField()

    class Meta:
        ordering = ["model", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.points:+d})"


class BehaviourRule(models.Model):
    """Points per marketing event of one type, capped per type, decaying with a half-life."""

    model = models.ForeignKey(ScoringModel, on_delete=models.CASCADE, related_name="behaviour_rules")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=80, blank=True)
    event_type = models.CharField(max_length=40)
    points = models.IntegerField()
    cap = models.PositiveIntegerField(null=True, blank=True, help_text="Most points this type adds; empty: no cap.")
    half_life_days = models.FloatField(null=True, blank=True, default=30.0, help_text="Empty: no decay.")

    class Meta:
        ordering = ["model", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "event_type"], name="scoring_one_rule_per_event_type"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} ({self.points:+d})"


class RunKind(models.TextChoices):
    ACTIVATION = "activation", "Activation of a version"
    FULL = "full", "Rescore every lead"
    DECAY = "decay", "Daily decay sweep"
    DRY_RUN = "dry_run", "Dry run of a version (writes nothing)"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    SUPERSEDED = "superseded", "Superseded"


class RescoreRun(models.Model):
    """A background job over many leads (a rescore, or a dry run that only counts), in batches of ascending
    lead id, in one or more ``RescoreLane`` (id ranges worked on in parallel).

    Each lane's cursor (the last lead id done) moves in the same transaction as its batch's writes, so a
    run that dies resumes exactly where it stopped (``scoring.tasks.resume_stalled_runs``). The run's own
    counters are the sum of its lanes' batches.
    """

    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="runs",
                              help_text="Activation: the version being rolled out; otherwise the version when started.")
    kind = models.CharField(max_length=12, choices=RunKind.choices)
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    day = models.DateField(null=True, blank=True, help_text="Decay sweeps: the day swept.")
    total = models.PositiveIntegerField(default=0, help_text="Leads to visit (estimated when the run started).")
    done = models.PositiveIntegerField(default=0, help_text="Leads visited.")
    changed = models.PositiveIntegerField(default=0, help_text="Leads whose score changed.")
    promoted = models.PositiveIntegerField(default=0, help_text="Leads that became MQL.")
    cursor = models.BigIntegerField(default=0, help_text="Highest lead id visited (each lane has its own cursor).")
    result = models.JSONField(null=True, blank=True,
                              help_text='Dry runs: {"evaluated", "would_become_mql", "by_channel": {channel: n}}.')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    started_at = models.DateTimeField(default=clock.now)
    heartbeat_at = models.DateTimeField(default=clock.now, help_text="Last batch written.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "day"], condition=models.Q(kind="decay"),
                                    name="scoring_one_decay_run_per_day"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="scoring_run_status"),
                   models.Index(fields=["model", "kind", "-id"], name="scoring_run_model")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.model.version if self.model_id else '?'}: {self.done}/{self.total}"

    @property
    def percent(self) -> float:
        if self.status == RunStatus.DONE:
            return 100.0
        if not self.total:
            return 0.0
        return round(min(100.0, 100.0 * self.done / self.total), 1)


class RescoreLane(models.Model):
    """One id range of a run, worked through by its own chain of tasks: leads with ``cursor < id <= upper``
    (``upper`` null: no end, so leads created during the run are visited too)."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="lanes")
    lane = models.PositiveSmallIntegerField()
    cursor = models.BigIntegerField(default=0, help_text="Last lead id visited in this lane.")
    upper = models.BigIntegerField(null=True, blank=True, help_text="Last lead id of the lane; empty: no end.")
    done = models.PositiveIntegerField(default=0)
    finished = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["run_id", "lane"]  # not "run": that would join (and lock, with FOR UPDATE) the run row
        constraints = [models.UniqueConstraint(fields=["run", "lane"], name="scoring_one_lane_number_per_run")]

    def __str__(self) -> str:
        return f"run {self.run_id} lane {self.lane}: after {self.cursor}" + (" (finished)" if self.finished else "")


class ScoreReason(models.TextChoices):
    LEAD_CREATED = "lead_created", "Lead created"
    LEAD_UPDATED = "lead_updated", "Lead facts changed"
    EVENT = "event", "Marketing event"
    DECAY = "decay", "Daily decay"
    ACTIVATION = "activation", "New scoring model"
    FULL = "full", "Rescore of every lead"
    MANUAL = "manual", "Manual rescore"


class ScoreChange(models.Model):
    """One row per change of a lead's stored score (never for a rescore that changes nothing)."""

    lead = models.ForeignKey("lifecycle.Lead", on_delete=models.CASCADE, related_name="score_changes")
    model = models.ForeignKey(ScoringModel, on_delete=models.PROTECT, related_name="+")
    old_score = models.IntegerField()
    new_score = models.IntegerField()
    fit = models.IntegerField()
    behaviour = models.IntegerField()
    reason = models.CharField(max_length=16, choices=ScoreReason.choices)
    event = models.ForeignKey("lifecycle.MarketingEvent", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["lead", "at", "id"]
        indexes = [models.Index(fields=["lead", "at"], name="score_change_lead_time")]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.old_score} -> {self.new_score} ({self.reason})"


class SignalOutcome(models.TextChoices):
    PROMOTED = "promoted", "Made the lead an MQL"
    FLAGGED = "flagged", "Flagged a lead already in the funnel as high intent"
    IGNORED = "ignored", "No effect (lead past SQL, or the event too old)"


class HighIntentSignal(models.Model):
    """A high-intent event seen by scoring: one row per event, so a repeated task never acts twice."""

    event = models.OneToOneField("lifecycle.MarketingEvent", on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey("lifecycle.Lead", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    outcome = models.CharField(max_length=10, choices=SignalOutcome.choices)
    transition = models.ForeignKey("lifecycle.StageTransition", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    handled_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["handled_at", "id"]
        indexes = [models.Index(fields=["lead", "handled_at"], name="high_intent_lead_time")]

    def __str__(self) -> str:
        return f"{self.event_type} on {self.lead_id}: {self.outcome}"
