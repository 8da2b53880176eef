"""``{% pulse_prompt %}``: the in-app prompt (base.html) inviting a marketing or sales member to answer
the alignment pulse while it is open and they have not answered. One or two small queries per page."""

from __future__ import annotations

from typing import Any

from django import template

from leadops import clock, roles
from reporting.selectors import alignment

register = template.Library()


@register.inclusion_tag("reporting/_pulse_prompt.html", takes_context=True)
def pulse_prompt(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    if user is None or roles.pulse_side(user) is None:
        return {"survey": None}
    survey = alignment.open_pulse(now=clock.now())
    if survey is None or alignment.answer_of(survey=survey, user=user) is not None:
        return {"survey": None}
    return {"survey": survey}
