"""``{% workspace_nav as nav %}``: which workspace pages the signed-in user gets (the role checks of
``leadops.roles``) and the notification bell's unread count (one indexed count)."""

from __future__ import annotations

from typing import Any

from django import template

from leadops import roles

register = template.Library()


@register.simple_tag(takes_context=True)
def workspace_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from sla.selectors import unread_count

    return {
        "mql_queue": roles.may_review_mql_queue(user),
        "recycled": roles.may_see_recycled(user),
        "sal_review": roles.may_review_sal(user),
        "my_leads": roles.works_own_leads(user),
        "unread": unread_count(user),
    }


@register.simple_tag(takes_context=True)
def lead_seen(context: dict[str, Any], lead: Any) -> str:
    """The hidden ``seen`` field of a form acting on ``lead`` (``lifecycle.views.common``: a stale page)."""
    from django.utils.html import format_html

    from lifecycle.views.common import seen_token

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    return format_html('<input type="hidden" name="seen" value="{}">', seen_token(user, lead.pk))
