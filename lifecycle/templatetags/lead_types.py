"""``{{ lead.lead_type|lead_type_label }}``: a lead type's label from the catalogue, "(retired)" marked."""

from __future__ import annotations

from django import template

from lifecycle import selectors

register = template.Library()


@register.filter
def lead_type_label(code: str) -> str:
    """The catalogue's label (a retired type is shown with its label and "(retired)"); an unknown code as is."""
    return selectors.lead_type_labels().get(code, code)
