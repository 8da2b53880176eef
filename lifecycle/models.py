"""Records of domain.md section 3: accounts, leads, campaigns, events, touches, transitions,
opportunities, revenue targets and the disposition catalogue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
from django.db.models.functions import Lower

from leadops import clock
from lifecycle.state_machine import Stage


class Channel(models.TextChoices):
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    ORGANIC_SEARCH = "organic_search", "Organic search"
    EMAIL = "email", "Email"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    CONTENT = "content", "Content syndication"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    DIRECT = "direct", "Direct"
    OUTBOUND = "outbound", "Outbound"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    ATTEMPTING = "attempting", "Attempting"
    CONNECTED = "connected", "Connected"
    RETURNED_NOT_READY = "returned_not_ready", "Returned, not ready"
    UNQUALIFIED = "unqualified", "Unqualified"
    OPEN_DEAL = "open_deal", "Open deal"


DEFAULT_LEAD_TYPE = "new_business"


class LeadTypeOption(models.Model):
    """The lead-type catalogue (domain.md section 3, *(config)*), editable by admins: add, relabel, retire.

    ``Lead.lead_type`` and ``RoutingRule.lead_types`` hold codes of it. A code is never deleted or (once used)
    changed; retiring (``active`` false) refuses it for new writes and leaves the leads that have it alone."""

    code = models.SlugField(max_length=24, unique=True, help_text="Stored on leads; cannot change once used.")
    label = models.CharField(max_length=80)
    active = models.BooleanField(default=True, help_text="Retired (false): refused for new writes.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Sort order.")

    class Meta:
        ordering = ["position", "code"]
        verbose_name = "lead type"

    def __str__(self) -> str:
        return self.label if self.active else f"{self.label} (retired)"


class Seniority(models.TextChoices):
    UNKNOWN = "", "Unknown"
    INDIVIDUAL = "individual", "Individual contributor"
    MANAGER = "manager", "Manager"
    DIRECTOR = "director", "Director"
    VP = "vp", "VP"
    CXO = "cxo", "C-level / owner"


class Account(models.Model):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, unique=True, help_text="Normalised: lower case, no www.")
    industry = models.CharField(max_length=80, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    annual_revenue = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_accounts"
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.domain})"


class Campaign(models.Model):
    """The shared campaign calendar."""

    name = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    type = models.CharField(max_length=40, blank=True, help_text="webinar, ebook, trade show, ads ...")
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    expected_volume = models.PositiveIntegerField(null=True, blank=True, help_text="Expected leads")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DispositionKind(models.TextChoices):
    REJECTION = "rejection", "SAL rejection"
    DISQUALIFICATION = "disqualification", "Disqualification"
    RECYCLE = "recycle", "Recycle"
    CLOSED_LOST = "closed_lost", "Closed lost"


class DispositionReason(models.Model):
    """The disposition catalogue (domain.md section 4), editable in the admin."""

    code = models.SlugField(max_length=40)
    kind = models.CharField(max_length=20, choices=DispositionKind.choices)
    label = models.CharField(max_length=120)
    target_stage = models.CharField(
        max_length=16,
        choices=[(Stage.NURTURE, "Nurture"), (Stage.DISQUALIFIED, "Disqualified")],
        help_text="Where a rejection or a lost deal with this reason sends the lead.",
    )
    requires_cadence = models.BooleanField(default=False, help_text="Needs the touch cadence met first.")
    returns_to_marketing = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["kind", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="disposition_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"


class Lead(models.Model):
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=150, blank=True)
    seniority = models.CharField(max_length=12, choices=Seniority.choices, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    company_domain = models.CharField(max_length=253, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    industry = models.CharField(max_length=80, blank=True)
    country = models.CharField(max_length=2, blank=True)
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    lead_type = models.CharField(max_length=24, default=DEFAULT_LEAD_TYPE,
                                 help_text="A code of the lead-type catalogue (GET /api/v1/lead-types/).")
    source = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    first_campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="first_touch_leads"
    )
    # owner, team and latest_campaign: no index of their own; each leads a composite index of Meta.indexes
    # (lead_owner_stage, lead_team_stage, lead_campaign_stage), which serves the foreign-key lookups too
    latest_campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="latest_touch_leads",
        db_index=False,
    )

    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.SUBSCRIBER)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_leads",
        db_index=False,
    )
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads",
                             db_index=False)
    assigned_at = models.DateTimeField(null=True, blank=True)

    fit_score = models.IntegerField(default=0)
    behaviour_score = models.IntegerField(default=0)
    score = models.IntegerField(default=0)
    high_intent = models.BooleanField(default=False)

    disposition = models.ForeignKey(
        DispositionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    disposition_note = models.TextField(blank=True)
    recycle_count = models.PositiveIntegerField(default=0)
    transition_count = models.PositiveIntegerField(default=0, help_text="History rows written (sequence).")

    # BANT, recorded when the lead is qualified (SAL -> SQL)
    budget = models.CharField(max_length=300, blank=True)
    authority = models.CharField(max_length=300, blank=True)
    need = models.CharField(max_length=300, blank=True)
    timeline = models.CharField(max_length=300, blank=True)

    # one timestamp per stage reached, for the current cycle
    became_lead_at = models.DateTimeField(null=True, blank=True)
    became_mql_at = models.DateTimeField(null=True, blank=True)
    became_sal_at = models.DateTimeField(null=True, blank=True)
    became_sql_at = models.DateTimeField(null=True, blank=True)
    became_opportunity_at = models.DateTimeField(null=True, blank=True)
    became_customer_at = models.DateTimeField(null=True, blank=True)
    became_nurture_at = models.DateTimeField(null=True, blank=True)
    became_disqualified_at = models.DateTimeField(null=True, blank=True)

    # sales activity of the current cycle (kept in step by the touch service)
    touch_attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_touch_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="lead_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(stage__in=Stage.values), name="lead_stage_known"),
        ]
        indexes = [
            # list filters and orderings of api.md (see docs/performance.md for the plans)
            models.Index(fields=["stage", "-score", "-id"], name="lead_stage_score"),
            models.Index(fields=["-score", "-id"], name="lead_score"),
            models.Index(fields=["-created_at", "-id"], name="lead_created"),
            models.Index(fields=["stage", "-created_at", "-id"], name="lead_stage_created"),
            models.Index(F("became_mql_at").desc(nulls_last=True), F("id").desc(), name="lead_became_mql"),
            models.Index("stage", F("became_mql_at").desc(nulls_last=True), F("id").desc(),
                         name="lead_stage_became_mql"),
            # the routing queue: MQLs waiting unassigned, oldest first
            models.Index(fields=["became_mql_at", "id"], name="lead_queue",
                         condition=models.Q(stage="mql", owner__isnull=True)),
            # the SAL review queue: a team's MQLs, oldest first (issue 8; docs/performance.md)
            models.Index(fields=["team", "became_mql_at", "id"], name="lead_team_mql_queue",
                         condition=models.Q(stage="mql")),
            models.Index(fields=["owner", "stage", "-score"], name="lead_owner_stage"),
            models.Index(fields=["team", "stage", "-score"], name="lead_team_stage"),
            models.Index(fields=["source", "stage"], name="lead_source_stage"),
            models.Index(fields=["latest_campaign", "stage", "-created_at", "-id"], name="lead_campaign_stage"),
            # first_campaign and account: the foreign keys' own indexes (a second copy was dropped in 0007)
            models.Index(fields=["high_intent", "stage"], name="lead_high_intent",
                         condition=models.Q(high_intent=True)),
            GinIndex(
                fields=["email", "first_name", "last_name", "company_name"],
                name="lead_search_trgm",
                opclasses=["gin_trgm_ops"] * 4,
            ),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadExternalId(models.Model):
    """An integrator's own id for a lead (``external_id`` is per API client)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="external_ids")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "external_id"], name="external_id_unique_per_client"),
            models.UniqueConstraint(fields=["client", "lead"], name="one_external_id_per_client_lead"),
        ]

    def __str__(self) -> str:
        return self.external_id


class ClientLead(models.Model):
    """An API client's link to a lead: the client created it, holds an external id for it, or wrote to it by
    its email (bulk upsert, events). An integrator sees and touches only its linked leads
    (``lifecycle.selectors.leads_visible_to``; docs/api-integrators.md, "Which leads a client sees")."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                               db_index=False)  # the unique (client, lead) index serves it
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="client_links")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "lead"], name="client_lead_unique")]

    def __str__(self) -> str:
        return f"{self.client_id} -> {self.lead_id}"

class MarketingEvent(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    occurred_at = models.DateTimeField()
    properties = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=60, default="api")
    external_id = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="event_idempotent_per_source",
            )
        ]
        indexes = [models.Index(fields=["lead", "occurred_at"], name="event_lead_time"),
                   models.Index(fields=["campaign", "occurred_at"], name="event_campaign_time")]

    def __str__(self) -> str:
        return f"{self.type} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class TouchChannel(models.Model):
    """Configurable: which sales channels exist and whether a touch on them counts as an attempt."""

    code = models.SlugField(max_length=30, primary_key=True)
    label = models.CharField(max_length=80)
    counts_as_attempt = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.label


class TouchOutcome(models.Model):
    code = models.SlugField(max_length=30, primary_key=True)
    label = models.CharField(max_length=80)
    counts_as_attempt = models.BooleanField(default=True)
    is_connect = models.BooleanField(default=False, help_text="A conversation happened (status: connected).")

    def __str__(self) -> str:
        return self.label


class Touch(models.Model):
    """A sales activity ("connect attempt")."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="touches")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="touches")
    channel = models.ForeignKey(TouchChannel, on_delete=models.PROTECT, db_column="channel")
    outcome = models.ForeignKey(TouchOutcome, on_delete=models.PROTECT, db_column="outcome")
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    counts_as_attempt = models.BooleanField()
    cycle = models.PositiveIntegerField(default=0, help_text="The lead's recycle_count when logged.")
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        verbose_name_plural = "touches"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["lead", "occurred_at"], name="touch_lead_time"),
                   models.Index(fields=["rep", "occurred_at"], name="touch_rep_time")]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.outcome_id} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    API_CLIENT = "api_client", "API client"
    SYSTEM = "system", "System"


class StageTransition(models.Model):
    """The audit trail: append-only (a database trigger refuses UPDATE and DELETE)."""

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="transitions")
    seq = models.PositiveIntegerField(help_text="1, 2, 3 ... per lead; unique, so no move is written twice.")
    cycle = models.PositiveIntegerField(default=0)
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    actor_kind = models.CharField(max_length=12, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.ForeignKey(DispositionReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    trigger = models.CharField(max_length=40, blank=True, help_text="score, high_intent_event, accept, ...")
    note = models.TextField(blank=True)
    override = models.BooleanField(default=False, help_text="A manager override of the touch cadence.")
    occurred_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["lead", "seq"]
        constraints = [models.UniqueConstraint(fields=["lead", "seq"], name="transition_seq_unique")]
        indexes = [
            models.Index(fields=["to_stage", "occurred_at"], name="transition_to_time"),
            models.Index(fields=["occurred_at"], name="transition_time"),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.from_stage} -> {self.to_stage}"


class DealStage(models.TextChoices):
    DISCOVERY = "discovery", "Discovery"
    PROPOSAL_DEVELOPMENT = "proposal_development", "Proposal development"
    PROPOSAL_PRESENTED = "proposal_presented", "Proposal presented"
    ON_HOLD = "on_hold", "On hold"
    CLOSED_WON = "closed_won", "Closed won"
    CLOSED_LOST = "closed_lost", "Closed lost"


CLOSED_DEAL_STAGES = {DealStage.CLOSED_WON, DealStage.CLOSED_LOST}


class Opportunity(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="opportunities")
    account = models.ForeignKey(Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="opportunities")
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD")
    deal_stage = models.CharField(max_length=24, choices=DealStage.choices, default=DealStage.DISCOVERY)
    close_date = models.DateField()
    lost_reason = models.ForeignKey(DispositionReason, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    cycle = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "opportunities"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.UniqueConstraint(
                fields=["lead"], condition=~models.Q(deal_stage__in=["closed_won", "closed_lost"]),
                name="one_open_opportunity_per_lead",
            ),
        ]
        indexes = [models.Index(fields=["deal_stage", "close_date"], name="opportunity_stage_close")]

    def __str__(self) -> str:
        return f"{self.name} ({self.amount} {self.currency})"


class RevenueTarget(models.Model):
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.CASCADE,
                             help_text="Empty: the company target.")
    period_start = models.DateField(help_text="First day of the quarter")
    amount = models.DecimalField(max_digits=16, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["team", "period_start"], name="target_unique_per_team_period",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="target_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.team or 'Company'} {self.period_start:%Y}-Q{(self.period_start.month - 1) // 3 + 1}"


class SavedViewPage(models.TextChoices):
    """The workspace queues a saved view can belong to (issue 8)."""

    MQL_QUEUE = "mql_queue", "MQL queue"
    SAL_REVIEW = "sal_review", "SAL review"
    MY_LEADS = "my_leads", "My leads"


class SavedView(models.Model):
    """A named filter and sort of a workspace queue (docs/workspace.md, "Saved views").

    ``params`` is the queue's query string as a dict of lists (``page`` never stored); it is validated by the
    queue's own filter form when applied, so a view saved before a campaign was deleted shows a form message.
    ``team`` set = shared with that team (its members and its manager see and apply it; only the owner edits).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=20, choices=SavedViewPage.choices)
    name = models.CharField(max_length=80)
    params = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey("leadops.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="saved_views", help_text="Shared with this team; empty: private.")
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["page", "name", "id"]
        constraints = [
            models.UniqueConstraint("owner", "page", Lower("name"), name="saved_view_name_unique_per_owner"),
        ]
        indexes = [
            models.Index(fields=["team", "page"], name="saved_view_team_page", condition=models.Q(team__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_page_display()})"
