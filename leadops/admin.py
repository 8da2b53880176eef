from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from leadops.models import ApiToken, Heartbeat, OutOfOffice, RepProfile, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "get_full_name", "email", "role", "team", "is_active"]
    list_filter = ["role", "team", "is_active"]
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("LeadOps", {"fields": ["role", "team"]}))
    add_fieldsets = (*BaseUserAdmin.add_fieldsets, ("LeadOps", {"fields": ["role", "team", "email"]}))


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "manager", "capacity", "calendar"]
    list_filter = ["kind"]
    search_fields = ["name"]


class OutOfOfficeInline(admin.TabularInline):
    model = OutOfOffice
    extra = 0


@admin.register(RepProfile)
class RepProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "weight", "capacity", "time_zone", "active"]
    list_filter = ["active", "user__team", "time_zone"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    inlines = [OutOfOfficeInline]

    @admin.display(description="Team")
    def team(self, obj: RepProfile) -> str:
        return str(obj.user.team or "")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py issue_token` or the API (the key is shown once); here they are
    listed and revoked."""

    list_display = [
        "prefix",
        "user",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "rate_limit",
    ]
    readonly_fields = ["prefix", "key_hash", "user", "created_at", "last_used_at", "scopes"]
    fields = ["user", "name", "prefix", "scopes", "rate_limit", "created_at", "expires_at", "revoked_at",
              "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        from leadops import services

        for token in queryset:
            services.token_revoke(token_id=token.pk)


admin.site.register(Heartbeat)
admin.site.site_header = "LeadOps administration"
admin.site.site_title = "LeadOps"
