"""A WSGI entry point with the list fixes proposed in docs/performance.md applied as patches, to measure
them before anyone changes the real code:

    gunicorn bench.whatif:application -b 127.0.0.1:8766 -w 2      # then: python -m bench lead_list --base-url ...

It is a measuring aid, never a deployment: the fixes belong in leadops/api/pagination.py and
lifecycle/api/filters.py. Each patch leaves the answers unchanged:

1. ordering: no ``NULLS LAST`` / ``NULLS FIRST`` on NOT NULL fields (score, created_at), so
   ``ORDER BY score DESC, id DESC`` matches the btree indexes (``DESC`` already means ``NULLS FIRST``
   in PostgreSQL, which no index built by ``models.Index(fields=["-score"])`` matches otherwise);
2. ``stage`` and ``status`` filters without ``SELECT DISTINCT`` (django-filter's MultipleChoiceFilter
   adds it by default; these fields join nothing, so there are no duplicates to remove).

(``q=`` used to be Django's ``UPPER(col) LIKE UPPER('%term%')``, which the trigram index cannot serve;
the lifecycle code now says ``ILIKE`` itself, so no patch is needed for it.)
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.db.models import F  # noqa: E402

from leadops.api import pagination  # noqa: E402
from lifecycle.api import filters  # noqa: E402
from lifecycle.models import Lead  # noqa: E402

NOT_NULL = {f.name for f in Lead._meta.concrete_fields if not f.null}


class _PlainF(F):
    def desc(self, **kwargs):
        return super().desc() if self.name in NOT_NULL else super().desc(**kwargs)

    def asc(self, **kwargs):
        return super().asc() if self.name in NOT_NULL else super().asc(**kwargs)


pagination.F = _PlainF  # type: ignore[misc]

for name in ("stage", "status"):
    filters.LeadFilter.base_filters[name].distinct = False
