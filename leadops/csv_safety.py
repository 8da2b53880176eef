"""CSV cells that a spreadsheet will not run (CWE-1236, OWASP "CSV injection"): text starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe, so it shows as text. Every CSV
LeadOps writes (reports, queue exports) goes through ``safe_cell``."""

from __future__ import annotations

from typing import Any

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(DANGEROUS_FIRST) else text
