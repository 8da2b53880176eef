"""Formatting of report figures on the pages: rates as percentages, durations in words, and the threshold
flags as words (never colour alone)."""

from __future__ import annotations

from django import template

register = template.Library()

FLAG_TEXT = {
    "acceptance_below_floor": "Acceptance below the floor",
    "mql_to_sql_below_floor": "MQL->SQL below the floor",
    "mql_to_sql_healthy": "MQL->SQL healthy",
}


@register.filter
def pct(rate: float | None) -> str:
    """0.6667 -> ``66.7 %``; None -> ``n/a`` (nothing to divide by is not 0 %)."""
    return "n/a" if rate is None else f"{rate * 100:.1f} %"


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as ``2 d 3 h``, ``4 h 5 min``, ``6 min`` or ``40 s``; None -> ``n/a``."""
    if seconds is None:
        return "n/a"
    s = int(round(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@register.filter
def flag_text(flag: str) -> str:
    return FLAG_TEXT.get(flag, flag.replace("_", " "))


@register.filter
def flag_kind(flag: str) -> str:
    """``good`` or ``bad``: a CSS class, shown next to the words."""
    return "good" if flag.endswith("healthy") else "bad"


@register.filter
def lookup(mapping: dict, key: str) -> object:  # type: ignore[type-arg]
    """``mapping[key]`` with a variable key (the key itself when missing)."""
    return mapping.get(key, key) if hasattr(mapping, "get") else key


@register.simple_tag
def report_pages() -> list[dict[str, str]]:
    """The report pages for the navigation's reports menu (every signed-in role reads every report)."""
    from reporting.views.menu import available_reports

    return available_reports()
