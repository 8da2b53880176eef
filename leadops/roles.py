"""Roles of domain.md section 2 and every role check, in one place.

API permissions, HTML views and services all ask these functions; nothing else compares
role strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from leadops.models import User


class Role(models.TextChoices):
    MARKETING_OPS = "marketing_ops", "Marketing ops"
    SALES_REP = "sales_rep", "Sales rep / SDR"
    SALES_MANAGER = "sales_manager", "Sales manager"
    LEADERSHIP = "leadership", "Leadership"
    ADMIN = "admin", "Admin"
    INTEGRATOR = "integrator", "Integrator (API client)"


SEES_ALL_LEADS = {Role.MARKETING_OPS, Role.LEADERSHIP, Role.ADMIN}
# Users, teams and reps: those who see every lead, and API clients (a touch they post names its rep). An API
# client sees only the leads it is linked to (lifecycle.selectors.leads_visible_to).
SEES_WHOLE_ORG = SEES_ALL_LEADS | {Role.INTEGRATOR}
READ_ONLY = {Role.LEADERSHIP}


def role_of(user: User | None) -> str | None:
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return user.role


def is_admin(user: User | None) -> bool:
    return role_of(user) == Role.ADMIN


def sees_all_leads(user: User | None) -> bool:
    return role_of(user) in SEES_ALL_LEADS


def sees_whole_org(user: User | None) -> bool:
    return role_of(user) in SEES_WHOLE_ORG


def may_configure(user: User | None) -> bool:
    """Users, teams, reps, policies, calendars, routing, scoring: admin only."""
    return is_admin(user)


def may_configure_routing(user: User | None) -> bool:
    """Routing rules: admins and marketing ops (domain.md section 7, issue 5)."""
    return role_of(user) in {Role.ADMIN, Role.MARKETING_OPS}


def may_preview_routing(user: User | None) -> bool:
    """The routing dry run: those who configure routing, and sales managers checking where a lead would go."""
    return role_of(user) in {Role.ADMIN, Role.MARKETING_OPS, Role.SALES_MANAGER}


def may_read_people(user: User | None) -> bool:
    return role_of(user) is not None


def may_browser_login(user: User) -> bool:
    return user.is_active and role_of(user) != Role.INTEGRATOR


# --- the browser workspace (issue 8): which pages a role gets ---------------------------------------


def may_review_mql_queue(user: User | None) -> bool:
    """The MQL queue: marketing ops, sales managers (their teams) and admins."""
    return role_of(user) in {Role.MARKETING_OPS, Role.SALES_MANAGER, Role.ADMIN}


def may_review_sal(user: User | None) -> bool:
    """The SAL review queue (accept / reject MQLs routed to one's teams): sales managers."""
    return role_of(user) == Role.SALES_MANAGER


def works_own_leads(user: User | None) -> bool:
    """"My leads", the rep's queue: sales reps (and SDRs)."""
    return role_of(user) == Role.SALES_REP


def may_log_touch_on(user: User | None, *, owns: bool, manages: bool) -> bool:
    """Log a touch on a lead from the browser: its owner rep, or a manager of its team (as themselves)."""
    role = role_of(user)
    return (role == Role.SALES_REP and owns) or (role == Role.SALES_MANAGER and manages)


def may_see_recycled(user: User | None) -> bool:
    """The recycled-leads view (what sales sent back, with reasons): marketing ops and admins."""
    return role_of(user) in {Role.MARKETING_OPS, Role.ADMIN}


# --- the alignment pulse (issue 9) ------------------------------------------------------------------


def pulse_side(user: User | None) -> str | None:
    """The side a person answers the alignment pulse for: a member of a marketing team, or marketing ops
    without a team -> ``marketing``; a member of a sales or SDR team, or a sales rep / manager without a
    team -> ``sales``. Leadership, admins and integrators are not asked (None)."""
    role = role_of(user)
    if user is None or role not in {Role.MARKETING_OPS, Role.SALES_REP, Role.SALES_MANAGER}:
        return None
    team = user.team
    if team is not None:
        return "marketing" if team.kind == "marketing" else "sales"
    return "marketing" if role == Role.MARKETING_OPS else "sales"
