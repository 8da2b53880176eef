"""CSV rendering of the reports, safe against formula injection (CWE-1236): a cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, so a spreadsheet
shows it as text instead of evaluating it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from rest_framework.renderers import BaseRenderer

from leadops.csv_safety import safe_cell


def to_csv(rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue()


class CsvRenderer(BaseRenderer):
    """Renders a list of rows (the first is the header). Errors (``{"error": {...}}``) become a two-column
    CSV of code and message, still with the error's status."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        if data is None:
            return b""
        if isinstance(data, dict):
            err = data.get("error", {})
            rows: list[Sequence[Any]] = [("code", "message"), (err.get("code", ""), err.get("message", ""))]
        else:
            rows = data
        return to_csv(rows).encode("utf-8")
