"""The /api/v1/ router: every resource of api.md is registered here, in one list."""

from rest_framework.routers import DefaultRouter

from leadops.api.org import RepViewSet, TeamViewSet, UserViewSet
from leadops.webhooks.api.views import WebhookViewSet
from lifecycle.api.activity import EventViewSet, OpportunityViewSet, TouchViewSet
from lifecycle.api.bulk import LeadBulkViewSet
from lifecycle.api.reference import (
    AccountViewSet,
    CampaignViewSet,
    DispositionViewSet,
    LeadTypeViewSet,
    RevenueTargetViewSet,
)
from lifecycle.api.views import LeadViewSet
from reporting.api.alignment import AlignmentReportViewSet, PulseViewSet
from reporting.api.views import ReportViewSet
from routing.api.views import AssignmentViewSet, FairnessViewSet, RoutingRuleViewSet
from scoring.api.views import ScoringModelViewSet
from sla.api.views import (
    CalendarViewSet,
    CapacityNoticeViewSet,
    ClockViewSet,
    EscalationViewSet,
    NotificationViewSet,
    ObligationViewSet,
    PolicyViewSet,
)


class Router(DefaultRouter):
    include_root_view = True


router = Router()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("reps", RepViewSet, basename="rep")
router.register("leads/bulk", LeadBulkViewSet, basename="lead-bulk")  # before leads/{id}/
router.register("leads", LeadViewSet, basename="lead")
router.register("touches", TouchViewSet, basename="touch")
router.register("events", EventViewSet, basename="event")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("accounts", AccountViewSet, basename="account")
router.register("dispositions", DispositionViewSet, basename="disposition")
router.register("lead-types", LeadTypeViewSet, basename="lead-type")
router.register("revenue-targets", RevenueTargetViewSet, basename="revenue-target")
router.register("scoring-models", ScoringModelViewSet, basename="scoring-model")
router.register("routing-rules", RoutingRuleViewSet, basename="routing-rule")
router.register("routing/assignments", AssignmentViewSet, basename="routing-assignment")
router.register("routing/fairness", FairnessViewSet, basename="routing-fairness")
router.register("sla/clocks", ClockViewSet, basename="sla-clock")
router.register("sla/escalations", EscalationViewSet, basename="sla-escalation")
router.register("sla/capacity-notices", CapacityNoticeViewSet, basename="sla-capacity-notice")
router.register("sla/obligations", ObligationViewSet, basename="sla-obligation")
router.register("calendars", CalendarViewSet, basename="calendar")
router.register("sla-policies", PolicyViewSet, basename="sla-policy")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("reports", ReportViewSet, basename="report")
router.register("reports", AlignmentReportViewSet, basename="report-alignment")
router.register("pulses", PulseViewSet, basename="pulse")
