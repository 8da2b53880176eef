"""Reference data: /campaigns/, /accounts/, /dispositions/, /lead-types/, /revenue-targets/ (api.md).

Reads need ``leads:read`` (revenue targets: ``reports:read``; lead types: any token). Campaigns and accounts
are written by marketing ops and admins (scope ``leads:write``), revenue targets and lead types by admins
(scope ``admin``); the disposition catalogue is read-only here (admins edit it in the admin site).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from leadops import roles
from leadops.models import Scope, Team, User
from leadops.roles import Role
from lifecycle.api.fields import CountryField, CurrencyField, StrictSerializer, money_field
from lifecycle.api.filters import (
    AccountFilter,
    CampaignFilter,
    DispositionFilter,
    LeadTypeFilter,
    RevenueTargetFilter,
)
from lifecycle.api.views import ACTION_ERRORS, LIST_ERRORS, READ_ERRORS, errors
from lifecycle.models import Account, Campaign, Channel, DispositionReason, LeadTypeOption, RevenueTarget
from lifecycle.services import lead_types, reference

CREATE_ERRORS = errors(400, 401, 403, 409, 422)
REFERENCE_WRITERS = {Role.MARKETING_OPS, Role.ADMIN}


# --- serializers ----------------------------------------------------------------------------------


class CampaignOut(serializers.ModelSerializer):
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "type", "cost", "starts_on", "ends_on", "expected_volume", "created_at"]
        read_only_fields = fields


class CampaignIn(StrictSerializer):
    name = serializers.CharField(max_length=200)
    channel = serializers.ChoiceField(choices=Channel.choices)
    type = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                 help_text="webinar, ebook, trade show, ads ...")
    cost = money_field(required=False)
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True, help_text="On or after starts_on.")
    expected_volume = serializers.IntegerField(min_value=0, required=False, allow_null=True,
                                               help_text="Expected number of leads.")


class AccountOut(serializers.ModelSerializer):
    annual_revenue = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = Account
        fields = ["id", "name", "domain", "industry", "employee_count", "country", "annual_revenue", "owner",
                  "created_at"]
        read_only_fields = fields


class AccountIn(StrictSerializer):
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, help_text="Normalised: lower case, no scheme, no www.; unique.")
    industry = serializers.CharField(max_length=80, required=False, allow_blank=True)
    employee_count = serializers.IntegerField(min_value=0, max_value=10_000_000, required=False, allow_null=True)
    country = CountryField(required=False, allow_blank=True)
    annual_revenue = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0, required=False,
                                              allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), required=False,
                                               allow_null=True, help_text="The account's owner (a user id).")


class DispositionOut(serializers.ModelSerializer):
    class Meta:
        model = DispositionReason
        fields = ["id", "code", "kind", "label", "target_stage", "requires_cadence", "returns_to_marketing",
                  "active", "position"]
        read_only_fields = fields


class LeadTypeOut(serializers.ModelSerializer):
    class Meta:
        model = LeadTypeOption
        fields = ["id", "code", "label", "active", "position"]
        read_only_fields = fields


class LeadTypeIn(StrictSerializer):
    """A new lead type: its code (never changes afterwards) and label."""

    refused = {"code": "The code of a lead type cannot change (leads and routing rules store it).",
               "id": "Read-only."}

    code = serializers.CharField(max_length=24, help_text=lead_types.CODE_HELP + " Cannot change afterwards.")
    # ``label``: the api.md name (see lifecycle.api.serializers.DispositionSummary)
    label = serializers.CharField(max_length=80)  # type: ignore[assignment]
    active = serializers.BooleanField(required=False, default=True,
                                      help_text="false retires the type: refused for new writes, kept on leads.")
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False, default=0,
                                        help_text="Sort order (then code).")


class LeadTypeUpdateIn(StrictSerializer):
    """Relabel, reorder, retire (``active`` false) or reinstate a lead type; ``code`` is refused."""

    refused = LeadTypeIn.refused  # ``code`` among them

    label = serializers.CharField(max_length=80, required=False)  # type: ignore[assignment]
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)


class RevenueTargetOut(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = RevenueTarget
        fields = ["id", "team", "period_start", "amount", "currency"]
        read_only_fields = fields


class RevenueTargetIn(StrictSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True,
                                              help_text="Empty: the company target.")
    period_start = serializers.DateField(help_text="The first day of a quarter (1 Jan, 1 Apr, 1 Jul, 1 Oct).")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=0)
    currency = CurrencyField(required=False, default="USD")


# --- views ----------------------------------------------------------------------------------------


class ReferenceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    read_scope: Scope | None = Scope.LEADS_READ
    write_scope = Scope.LEADS_WRITE
    http_method_names = ["get", "post", "patch", "head", "options"]

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.role_of(user) in REFERENCE_WRITERS

    def _input(self, serializer_class: type[serializers.Serializer], partial: bool = False) -> dict[str, Any]:
        data = serializer_class(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)


class CampaignViewSet(ReferenceViewSet):
    """The shared campaign calendar. Everyone reads it; marketing ops and admins write it."""

    queryset = Campaign.objects.none()
    serializer_class = CampaignOut
    filterset_class = CampaignFilter
    ordering_fields = {"name": "name", "starts_on": "starts_on", "created_at": "created_at"}
    default_ordering = "-created_at"

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.all()

    @extend_schema(responses={200: CampaignOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: CampaignOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=CampaignIn, responses={201: CampaignOut, **CREATE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a campaign; the name is unique (409), cost >= 0 and ends_on >= starts_on (422)."""
        return Response(CampaignOut(reference.campaign_create(**self._input(CampaignIn))).data, status=201)

    @extend_schema(request=CampaignIn, responses={200: CampaignOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        campaign = self.get_object()
        fields = self._input(CampaignIn, partial=True)
        return Response(CampaignOut(reference.campaign_update(campaign_id=campaign.pk, fields=fields)).data)


class AccountViewSet(ReferenceViewSet):
    """Accounts (companies). Everyone reads them; marketing ops and admins write them. The domain is
    normalised (lower case, no scheme or ``www.``) and unique: a clash is 409 ``duplicate``."""

    queryset = Account.objects.none()
    serializer_class = AccountOut
    filterset_class = AccountFilter
    ordering_fields = {"name": "name", "created_at": "created_at"}
    default_ordering = "name"

    def get_queryset(self) -> QuerySet[Account]:
        return Account.objects.all()

    @extend_schema(responses={200: AccountOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: AccountOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=AccountIn, responses={201: AccountOut, **CREATE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(AccountOut(reference.account_create(**self._input(AccountIn))).data, status=201)

    @extend_schema(request=AccountIn, responses={200: AccountOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        fields = self._input(AccountIn, partial=True)
        return Response(AccountOut(reference.account_update(account_id=account.pk, fields=fields)).data)


class DispositionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The disposition catalogue (rejection, disqualification, recycle and closed-lost reasons), in
    catalogue order. Read-only here: admins edit it in the admin site."""

    queryset = DispositionReason.objects.none()
    serializer_class = DispositionOut
    filterset_class = DispositionFilter
    read_scope = Scope.LEADS_READ
    ordering_fields = {"position": "position", "code": "code"}
    default_ordering = "position"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[DispositionReason]:
        return DispositionReason.objects.all()

    @extend_schema(responses={200: DispositionOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: DispositionOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)


class LeadTypeViewSet(ReferenceViewSet):
    """The lead-type catalogue (domain.md section 3), in catalogue order (``position``, then ``code``). Any
    token reads it; admins add, relabel, reorder and retire types (scope ``admin``). A code is unique (409)
    and never changes; retiring (``active`` false) refuses the type for new writes of leads and routing
    rules (422 ``unknown_lead_type`` listing the allowed codes) and leaves the leads that have it alone.
    ``new_business``, the default, cannot be retired."""

    queryset = LeadTypeOption.objects.none()
    serializer_class = LeadTypeOut
    filterset_class = LeadTypeFilter
    read_scope = None  # any token: every writer of a lead type needs the list
    write_scope = Scope.ADMIN
    ordering_fields = {"position": "position", "code": "code"}
    default_ordering = "position"

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.is_admin(user)

    def get_queryset(self) -> QuerySet[LeadTypeOption]:
        return LeadTypeOption.objects.order_by("position", "code")

    @extend_schema(responses={200: LeadTypeOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: LeadTypeOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=LeadTypeIn, responses={201: LeadTypeOut, **CREATE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a lead type: a new code (409 ``duplicate`` if taken) and its label."""
        return Response(LeadTypeOut(lead_types.lead_type_create(**self._input(LeadTypeIn))).data, status=201)

    @extend_schema(request=LeadTypeUpdateIn, responses={200: LeadTypeOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Relabel, reorder, retire (``active`` false) or reinstate a lead type; ``code`` is refused (422)."""
        option = self.get_object()
        fields = self._input(LeadTypeUpdateIn, partial=True)
        return Response(LeadTypeOut(lead_types.lead_type_update(lead_type_id=option.pk, fields=fields)).data)


class RevenueTargetViewSet(ReferenceViewSet):
    """Revenue targets per team (or the company) and quarter. Read with ``reports:read``; admins write
    (scope ``admin``). ``period_start`` is the first day of a quarter (else 422); one target per team
    and quarter (else 409)."""

    queryset = RevenueTarget.objects.none()
    serializer_class = RevenueTargetOut
    filterset_class = RevenueTargetFilter
    read_scope = Scope.REPORTS_READ
    write_scope = Scope.ADMIN
    ordering_fields = {"period_start": "period_start"}
    default_ordering = "-period_start"

    @staticmethod
    def may_write(user: User) -> bool:
        return roles.is_admin(user)

    def get_queryset(self) -> QuerySet[RevenueTarget]:
        return RevenueTarget.objects.all()

    @extend_schema(responses={200: RevenueTargetOut(many=True), **LIST_ERRORS})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RevenueTargetOut, **READ_ERRORS})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=RevenueTargetIn, responses={201: RevenueTargetOut, **CREATE_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = reference.revenue_target_create(**self._input(RevenueTargetIn))
        return Response(RevenueTargetOut(target).data, status=201)

    @extend_schema(request=RevenueTargetIn, responses={200: RevenueTargetOut, **ACTION_ERRORS})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        target = self.get_object()
        fields = self._input(RevenueTargetIn, partial=True)
        return Response(RevenueTargetOut(reference.revenue_target_update(target_id=target.pk, fields=fields)).data)
