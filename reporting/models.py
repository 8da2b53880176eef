"""Reporting's own tables (docs/metrics.md):

- the weekly forecast snapshots of the open pipeline (``ForecastSnapshot`` and its ``ForecastLine`` rows);
- the alignment pulse: one survey per calendar month (``PulseSurvey``) and one answer per person and
  survey (``PulseResponse``);
- the rollups the reports read at 1,000,000 leads (``MqlEntryFact``, ``DailyCount``, ``DailyClockCount``)
  and their freshness (``RollupState``). Rollups are derived data: rebuilt from the history tables by
  ``reporting.services.rollups_refresh`` (beat), never written by anything else.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from leadops import clock as _clock

ROLLUP = "reports"  # the RollupState row of the report rollups
PULSE_QUESTION = "How likely are you to recommend working with the other team?"


class PulseSide(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"


# --- forecast vs actual -----------------------------------------------------------------------------------


class ForecastSnapshot(models.Model):
    """The open pipeline as it stood when the week's snapshot was taken (one per ISO week)."""

    week = models.DateField(unique=True, help_text="Monday of the ISO week")
    taken_at = models.DateTimeField()
    open_deals = models.PositiveIntegerField(default=0)
    open_amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        ordering = ["-week"]

    def __str__(self) -> str:
        return f"Forecast snapshot {self.week}"


class ForecastLine(models.Model):
    """Open deals and amount of one snapshot per deal stage, team (the lead's) and quarter of the close date."""

    snapshot = models.ForeignKey(ForecastSnapshot, on_delete=models.CASCADE, related_name="lines")
    deal_stage = models.CharField(max_length=24)
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    close_quarter = models.DateField(help_text="First day of the quarter holding the close date")
    deals = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "deal_stage", "team", "close_quarter"],
                                               name="forecast_line_unique", nulls_distinct=False)]


# --- the alignment pulse ----------------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.deal_stage} {self.close_quarter}: {self.amount}"


class PulseSurvey(models.Model):
    """One alignment pulse per calendar month, open for answers from ``opens_at`` to ``closes_at``."""

    period_start = models.DateField(unique=True, help_text="First day of the month the pulse belongs to")
    question = models.CharField(max_length=200, default=PULSE_QUESTION)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    created_at = models.DateTimeField(default=_clock.now)

    class Meta:
        ordering = ["-period_start"]
        constraints = [models.CheckConstraint(condition=models.Q(closes_at__gt=models.F("opens_at")),
                                              name="pulse_closes_after_opening")]

    def __str__(self) -> str:
        return f"Alignment pulse {self.period_start:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.period_start:%Y-%m}"


class PulseResponse(models.Model):
    """One person's answer (0-10 and an optional comment); side and team as they were when answering."""

    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    side = models.CharField(max_length=10, choices=PulseSide.choices)
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(blank=True, max_length=1000)
    answered_at = models.DateTimeField(default=_clock.now)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent"], name="pulse_one_answer_per_person"),
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=10), name="pulse_score_0_10"),
        ]


# --- rollups ----------------------------------------------------------------------------------------------

    def __str__(self) -> str:
        return f"{self.side} answer {self.score}"


class RollupState(models.Model):
    """When each rollup was last rebuilt: ``as_of`` is the moment its data describes (the snapshot the
    rebuild read), shown on the pages as "data as of"."""

    name = models.CharField(max_length=40, primary_key=True)
    as_of = models.DateTimeField()
    seconds = models.FloatField(default=0)
    rows = models.BigIntegerField(default=0)
    aging = models.JSONField(default=list, help_text="reporting.selectors.pipeline.aging_leads at as_of")

    def __str__(self) -> str:
        return f"{self.name} as of {self.as_of:%Y-%m-%d %H:%M}"


class MqlEntryFact(models.Model):
    """One row per MQL entry (a ``lifecycle_stagetransition`` to ``mql``) with what its cycle reached, the
    lead's current grouping keys and the entry's speed inputs: the funnel and the speeds in one narrow,
    indexed table."""

    id = models.BigIntegerField(primary_key=True, help_text="The MQL transition's id")
    lead_id = models.BigIntegerField()
    cycle = models.PositiveIntegerField()
    occurred_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=32)  # "unknown" when blank
    campaign_id = models.BigIntegerField(null=True)
    team_id = models.BigIntegerField(null=True)
    score_band = models.CharField(max_length=8)
    accepted = models.BooleanField()
    rejected = models.BooleanField()
    reached_sql = models.BooleanField()
    reached_opportunity = models.BooleanField()
    reached_customer = models.BooleanField()
    first_attempt_at = models.DateTimeField(null=True)
    assigned_at = models.DateTimeField(null=True)
    assigned_rep_id = models.BigIntegerField(null=True)
    rejection_reason = models.CharField(max_length=40, null=True)  # first rejection of the cycle; "unknown"
    cycle_pipeline = models.DecimalField(max_digits=16, decimal_places=2)  # the cycle's opportunities
    cycle_won = models.DecimalField(max_digits=16, decimal_places=2)  # the part closed won

    def __str__(self) -> str:
        return f"MQL entry {self.pk}"


class DailyCount(models.Model):
    """Counts (and amounts) per UTC day: ``leads`` (created, key = source), ``leads_campaign`` (created, key =
    first campaign id or ``unknown``), ``mql`` (MQL entries, key = source),
    ``sal``/``sql``/``opportunity`` (transitions to that stage, key ''),
    ``pipeline`` (opportunities created: n and amount, key ''), ``sql_first_touch`` (SQL entries, key =
    first-touch campaign), ``won_total``/``pipeline_total``
    and ``won_unattributed``/``pipeline_unattributed`` (attribution's totals)."""

    day = models.DateField()
    metric = models.CharField(max_length=24)
    key = models.CharField(max_length=64, default="")
    n = models.BigIntegerField()
    amount = models.DecimalField(max_digits=18, decimal_places=2, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["metric", "day", "key"], name="daily_count_unique")]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} {self.key}: {self.n}"


class DailyClockCount(models.Model):
    """Met and breached SLA clocks per UTC day of ``due_at`` and group: ``group_by`` policy (key = kind), team
    (key = accountable team id) or rep (key = accountable user id); ``unknown`` when empty."""

    day = models.DateField()
    group_by = models.CharField(max_length=8)
    key = models.CharField(max_length=24)
    met = models.BigIntegerField()
    breached = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["group_by", "day"], name="daily_clock_group_day")]

    def __str__(self) -> str:
        return f"{self.group_by} {self.day} {self.key}: {self.met}/{self.breached}"


class Meta:
        indexes = [models.Index(fields=["day"], name="daily_clock_day")]


class AttributionDaily(models.Model):
    """Attribution per UTC day and campaign, for the opportunities closed won that day (``kind`` won) or
    created that day (``kind`` pipeline): under each model the credited amount (``rev_*``, unrounded), the sum
    of the touches' weights (``w_*``) and the opportunities credited (``deals_*``), and ``first_touch_deals``
    (opportunities whose first touch is the campaign). An opportunity falls on one day per kind, so sums over
    days equal the live query's sums over the period."""

    kind = models.CharField(max_length=8)
    day = models.DateField()
    campaign_id = models.BigIntegerField()
    rev_first_touch = models.DecimalField(max_digits=60, decimal_places=40)
    rev_last_touch = models.DecimalField(max_digits=60, decimal_places=40)
    rev_linear = models.DecimalField(max_digits=60, decimal_places=40)
    rev_u_shaped = models.DecimalField(max_digits=60, decimal_places=40)
    w_first_touch = models.DecimalField(max_digits=60, decimal_places=40)
    w_last_touch = models.DecimalField(max_digits=60, decimal_places=40)
    w_linear = models.DecimalField(max_digits=60, decimal_places=40)
    w_u_shaped = models.DecimalField(max_digits=60, decimal_places=40)
    deals_first_touch = models.BigIntegerField()
    deals_last_touch = models.BigIntegerField()
    deals_linear = models.BigIntegerField()
    deals_u_shaped = models.BigIntegerField()
    first_touch_deals = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "day", "campaign_id"], name="attribution_daily_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.day} campaign {self.campaign_id}"


class ClosedOpportunityFact(models.Model):
    """One row per opportunity closed won or lost: the UTC day it counts on (``closed_at``, else the close
    date), its amount, the three win/loss keys (the lead's first campaign and source, the owner; ``unknown``
    when empty) and the lost reason code."""

    id = models.BigIntegerField(primary_key=True, help_text="The opportunity's id")
    day = models.DateField(db_index=True)
    won = models.BooleanField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    campaign_key = models.CharField(max_length=24)
    channel_key = models.CharField(max_length=24)
    rep_key = models.CharField(max_length=24)
    lost_reason = models.CharField(max_length=40, null=True)

    def __str__(self) -> str:
        return f"closed opportunity {self.pk}"
