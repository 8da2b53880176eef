"""API of the organisation: /users/, /teams/, /reps/ (admins write, others read what their role allows)."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from leadops import selectors, services
from leadops.api.schema import ERROR_RESPONSES
from leadops.api.strict import StrictSerializer
from leadops.models import OutOfOffice, RepProfile, Team, TeamKind, User, validate_time_zone
from leadops.roles import Role


class TeamOut(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind", "manager", "capacity", "calendar", "created_at"]


class TeamIn(StrictSerializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=TeamKind.choices)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    capacity = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    # the team's business hours (a /calendars/ id): SLA clocks the team answers for count on it
    calendar = serializers.PrimaryKeyRelatedField(queryset=Team.calendar.field.related_model._default_manager.all(),
                                                  required=False, allow_null=True)


class UserOut(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "role", "team", "is_active"]


class UserIn(StrictSerializer):
    username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=False, style={"input_type": "password"}
    )
    is_active = serializers.BooleanField(required=False)

    def validate_password(self, value: str) -> str:
        validate_password(value)
        return value


class OutOfOfficeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutOfOffice
        fields = ["starts_at", "ends_at", "note"]

    def validate(self, attrs):
        if attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "Must be after starts_at."})
        return attrs


class RepOut(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    team = serializers.IntegerField(source="user.team_id", read_only=True, allow_null=True)
    out_of_office = OutOfOfficeSerializer(many=True, read_only=True)

    class Meta:
        model = RepProfile
        fields = [
            "id",
            "user",
            "username",
            "team",
            "weight",
            "capacity",
            "time_zone",
            "active",
            "out_of_office",
        ]


class RepIn(StrictSerializer):
    weight = serializers.IntegerField(min_value=1, max_value=100, required=False)
    capacity = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])
    active = serializers.BooleanField(required=False)
    out_of_office = OutOfOfficeSerializer(many=True, required=False)


class TeamViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TeamOut
    read_scope = None
    ordering_fields = {"name": "name"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    queryset = Team.objects.none()

    def get_queryset(self):
        return selectors.teams_visible_to(self.request.user)

    @extend_schema(request=TeamIn, responses={201: TeamOut, **ERROR_RESPONSES})
    def create(self, request, *args, **kwargs):
        data = TeamIn(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(**data.validated_data)
        return Response(TeamOut(team).data, status=201)

    @extend_schema(request=TeamIn, responses={200: TeamOut, **ERROR_RESPONSES})
    def partial_update(self, request, *args, **kwargs):
        team = self.get_object()
        data = TeamIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        return Response(TeamOut(services.team_update(team=team, **data.validated_data)).data)


class UserViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UserOut
    read_scope = None
    ordering_fields = {"username": "username"}
    http_method_names = ["get", "post", "patch", "head", "options"]

    queryset = User.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return selectors.users_visible_to(self.request.user)

    @extend_schema(request=UserIn, responses={201: UserOut, **ERROR_RESPONSES})
    def create(self, request, *args, **kwargs):
        data = UserIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOut(user).data, status=201)

    @extend_schema(request=UserIn, responses={200: UserOut, **ERROR_RESPONSES})
    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        data = UserIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("username", None)
        return Response(UserOut(services.user_update(user=user, **fields)).data)


class RepViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = RepOut
    read_scope = None
    ordering_fields: dict[str, str] = {}
    http_method_names = ["get", "patch", "head", "options"]

    queryset = RepProfile.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RepProfile.objects.none()
        return selectors.reps_visible_to(self.request.user)

    @extend_schema(request=RepIn, responses={200: RepOut, **ERROR_RESPONSES})
    def partial_update(self, request, *args, **kwargs):
        rep = self.get_object()
        data = RepIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rep = services.rep_update(rep=rep, **data.validated_data)
        return Response(RepOut(selectors.reps_visible_to(request.user).get(pk=rep.pk)).data)
