"""The default scoring model (version 1): domain.md section 5's example numbers, written down.

Seeded by migration 0002 and again after a database flush (``ensure_default_model``, called from
``ScoringConfig.ready``'s post_migrate hook), like the lifecycle catalogues. Admins and marketing ops
replace it by creating and activating a new version; this module is never read at scoring time.
"""

from __future__ import annotations

from typing import Any

from scoring.engine import BehaviourRuleDef, FitRuleDef, ModelDef

TARGET_INDUSTRIES = [
    "Software", "SaaS", "Fintech", "Financial Services", "Information Technology", "Internet",
    "Insurance", "Professional Services", "Healthcare",
]
SERVED_COUNTRIES = ["US", "CA", "GB", "IE", "DE", "FR", "NL", "BE", "ES", "SE", "DK", "NO", "FI", "CH", "AT",
                    "AU", "NZ"]
COMPETITOR_DOMAINS = ["hubspot.com", "salesforce.com", "marketo.com", "pipedrive.com", "pardot.com",
                      "zendesk.com"]
HALF_LIFE_DAYS = 30.0

DEFAULT_MODEL = ModelDef(
    version=1,
    threshold=60,
    high_intent_event_types=("demo_request", "contact_sales"),
    fit_rules=(
        FitRuleDef("Company size 50-500", "employee_count", "range", {"min": 50, "max": 500}, 20),
        FitRuleDef("Target industry", "industry", "in", TARGET_INDUSTRIES, 15),
        FitRuleDef("Director or above", "seniority", "in", ["director", "vp", "cxo"], 15),
        FitRuleDef("Served country", "country", "in", SERVED_COUNTRIES, 10),
        FitRuleDef("Free-mail address", "free_mail", "equals", True, -10),
        FitRuleDef("Competitor", "email_domain", "in", COMPETITOR_DOMAINS, -50),
        FitRuleDef("Student", "title", "contains", "student", -50),
    ),
    behaviour_rules=(
        BehaviourRuleDef("demo_request", 40, cap=40, half_life_days=HALF_LIFE_DAYS, name="Demo request"),
        BehaviourRuleDef("contact_sales", 40, cap=40, half_life_days=HALF_LIFE_DAYS, name="Contact sales"),
        BehaviourRuleDef("pricing_page_view", 10, cap=30, half_life_days=HALF_LIFE_DAYS, name="Pricing page view"),
        BehaviourRuleDef("webinar_attended", 10, cap=20, half_life_days=HALF_LIFE_DAYS, name="Webinar attended"),
        BehaviourRuleDef("content_download", 5, cap=15, half_life_days=HALF_LIFE_DAYS, name="Content download"),
        BehaviourRuleDef("email_click", 3, cap=9, half_life_days=HALF_LIFE_DAYS, name="Email click"),
        BehaviourRuleDef("email_open", 1, cap=5, half_life_days=HALF_LIFE_DAYS, name="Email open"),
    ),
)


def ensure_default_model(model_cls: Any, fit_cls: Any, behaviour_cls: Any, *, now: Any = None) -> None:
    """Create version 1, active, when there is no scoring model at all; never touch existing ones."""
    if model_cls.objects.exists():
        return
    extra = {"created_at": now, "activated_at": now} if now is not None else {}
    model = model_cls.objects.create(
        version=DEFAULT_MODEL.version, name="Default (domain.md section 5)",
        description="The example numbers of the domain specification.", threshold=DEFAULT_MODEL.threshold,
        high_intent_event_types=list(DEFAULT_MODEL.high_intent_event_types), is_active=True, **extra,
    )
    if model.activated_at is None:  # active since it was seeded
        model.activated_at = model.created_at
        model.save(update_fields=["activated_at"])
    fit_cls.objects.bulk_create([
        fit_cls(model=model, position=i, name=r.name, field=r.field, operator=r.operator, value=r.value,
                points=r.points)
        for i, r in enumerate(DEFAULT_MODEL.fit_rules)
    ])
    behaviour_cls.objects.bulk_create([
        behaviour_cls(model=model, position=i, name=r.name, event_type=r.event_type, points=r.points, cap=r.cap,
                      half_life_days=r.half_life_days)
        for i, r in enumerate(DEFAULT_MODEL.behaviour_rules)
    ])
