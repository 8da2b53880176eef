"""Issue 8: the browser workspace's pages at 1,000,000 leads, through a real session-cookie sign-in.

Signs in through ``/accounts/login/`` as real users of the bench organisation (password ``bench-password``,
bench/generator.py), then times full page renders over loopback from this separate process (the time from
sending the request to having read the whole page: the server's time plus a loopback round trip):

- the MQL queue (marketing ops: every MQL; a sales manager: their teams) with each filter the issue names
  (data incomplete, SLA state, score range, search, team, campaign) and sorts; target p95 < 300 ms;
- the SAL review queue (first page and the next by cursor), My leads, recycled leads; p95 < 300 ms;
- the lead page of the 500-item lead; p95 < 200 ms;
- bulk accept of 50 MQLs from the SAL review queue (``POST /sal-review/bulk/``); < 2 s each.

**Consumes data**: every bulk run accepts 50 distinct routed MQLs of ``bench.mgr.sales_na``'s teams
(``--bulk-runs`` of them, 5 by default: 250 leads move MQL -> SAL).

    python -m bench workspace --base-url http://127.0.0.1:8771 --requests 40
    python -m bench.workspace_bench --base-url http://127.0.0.1:8771 --requests 40 [--only mql]
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from bench.client import LoopbackClient, Reply, run_load
from bench.stats import Result, summarise

PASSWORD = "bench-password"
MOPS = "bench.mops.1"
MANAGER = "bench.mgr.sales_na"
ADMIN = "bench.admin"
HEAVY_EMAIL = "heavy.timeline@timeline.example"
QUEUE_TARGET = ("p95 < 300 ms", 300.0)
LEAD_TARGET = ("p95 < 200 ms", 200.0)
BULK_TARGET = ("p95 < 2000 ms", 2000.0)
BULK_SIZE = 50


class Browser(LoopbackClient):
    """A signed-in browser session: cookies (sessionid, csrftoken) on http.client connections, one per thread."""

    def __init__(self, base_url: str, *, timeout: float = 60.0):
        super().__init__(base_url, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> Reply:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "Accept": "text/html"}
        payload = None
        if form is not None:
            payload = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        response, reply = self._send(method, path, payload, headers)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        reply.location = response.getheader("Location") or ""  # type: ignore[attr-defined]
        return reply

    def sign_in(self, username: str, password: str = PASSWORD) -> Browser:
        page = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or token is None:
            raise RuntimeError(f"no sign-in form: {page.status}")
        reply = self.request("POST", "/accounts/login/", [("csrfmiddlewaretoken", token.group(1).decode()),
                                                          ("username", username), ("password", password)])
        if reply.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"sign-in as {username} failed: {reply.status}")
        return self


def _ids() -> dict[str, str]:
    """Ids the page URLs need, read in-process from the same database as the server."""
    from django.db.models import Count

    from leadops.models import Team
    from lifecycle.models import Lead
    from lifecycle.state_machine import Stage

    team = Team.objects.get(name="Bench Sales NA")
    campaign = (Lead.objects.filter(stage=Stage.MQL, latest_campaign__isnull=False).values("latest_campaign")
                .annotate(n=Count("id")).order_by("-n").first())
    rep = (Lead.objects.filter(stage__in=[Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY], owner__isnull=False)
           .values("owner__username").annotate(n=Count("id")).order_by("-n").first())
    heavy = Lead.objects.get(email=HEAVY_EMAIL)
    return {"team": str(team.pk), "campaign": str(campaign["latest_campaign"] if campaign else ""),
            "rep": rep["owner__username"] if rep else "", "heavy": str(heavy.pk), "heavy_n": ""}


# (label, path, who): who is "mops", "manager", "rep" or "admin"
def pages(ids: dict[str, str]) -> list[tuple[str, str, str, tuple[str, float]]]:
    q = QUEUE_TARGET
    return [
        ("MQL queue, no filter (oldest first)", "/mql-queue/", "mops", q),
        ("MQL queue, data incomplete", "/mql-queue/?data_incomplete=true", "mops", q),
        ("MQL queue, data incomplete, newest, page 20", "/mql-queue/?data_incomplete=true&sort=newest&page=20",
         "mops", q),
        ("MQL queue, SLA at risk", "/mql-queue/?sla_status=at_risk", "mops", q),
        ("MQL queue, SLA breached", "/mql-queue/?sla_status=breached", "mops", q),
        ("MQL queue, score 60-80 by score", "/mql-queue/?score_min=60&score_max=80&sort=score", "mops", q),
        ("MQL queue, search q=garcia", "/mql-queue/?q=garcia", "mops", q),
        ("MQL queue, team + high intent + data incomplete",
         f"/mql-queue/?team={ids['team']}&high_intent=true&data_incomplete=true", "mops", q),
        ("MQL queue, campaign + SLA breached by score",
         f"/mql-queue/?campaign={ids['campaign']}&sla_status=breached&sort=score", "mops", q),
        ("MQL queue, page 400 (deepest)", "/mql-queue/?page=400", "mops", q),
        ("MQL queue as manager, data incomplete + at risk", "/mql-queue/?data_incomplete=true&sla_status=at_risk",
         "manager", q),
        ("MQL queue as manager, score 50+ by score", "/mql-queue/?score_min=50&sort=score", "manager", q),
        ("SAL review (manager), first page", "/sal-review/", "manager", q),
        ("My leads (rep with most open leads)", "/my-leads/", "rep", q),
        ("Recycled leads, 30 days", "/recycled/", "mops", q),
        ("Recycled leads, 90 days", "/recycled/?days=90", "mops", q),
        ("Lead page, 500 history items", f"/leads/{ids['heavy']}/", "admin", LEAD_TARGET),
    ]


def _check(reply: Reply) -> bool:
    return reply.status == 200 and b'role="alert"' not in reply.body


def _bulk_candidates(count: int) -> list[int]:
    from leadops.models import User
    from leadops.selectors import managed_team_ids
    from lifecycle.models import Lead
    from lifecycle.state_machine import Stage

    teams = managed_team_ids(User.objects.get(username=MANAGER))
    return list(Lead.objects.filter(stage=Stage.MQL, team_id__in=teams, owner__isnull=False)
                .order_by("became_mql_at", "id").values_list("id", flat=True)[:count])


def run(base_url: str, *, requests: int = 40, concurrency: int = 2, warmup: int = 3, bulk_runs: int = 5,
        only: str | None = None, log: Callable[[str], None] = print) -> list[Result]:
    ids = _ids()
    sessions: dict[str, Browser] = {}
    users = {"mops": MOPS, "manager": MANAGER, "rep": ids["rep"], "admin": ADMIN}
    results: list[Result] = []
    for label, path, who, (target, target_ms) in pages(ids):
        if only and only.lower() not in label.lower():
            continue
        if who not in sessions:
            sessions[who] = Browser(base_url).sign_in(users[who])
        browser = sessions[who]
        for _ in range(warmup):
            browser.request("GET", path)
        latencies, errors, wall, samples = run_load(range(requests), lambda _i, p=path, b=browser: b.request("GET", p),
                                                    concurrency=concurrency, ok=_check)
        page = browser.request("GET", path).body
        rows = page.count(b"<tr") - page.count(b"<thead>")  # body rows of the page's tables
        results.append(summarise(f"GET {label}", latencies, wall_s=wall, target=target, target_ms=target_ms,
                                 concurrency=concurrency, errors=errors, note=f"`{path}` as {users[who]}",
                                 error_samples=samples, load1=round(os.getloadavg()[0], 2), rows=rows))
        log(f"{results[-1].line()}  rows {rows}  load {os.getloadavg()[0]:.2f}")
    if not only or only.lower() in "recycled summary uncached":
        results.append(_recycled_uncached(requests, log))
    if bulk_runs and (not only or only.lower() in "bulk accept"):
        results.append(_bulk(base_url, bulk_runs, log))
    return results


def _recycled_uncached(n: int, log: Callable[[str], None]) -> Result:
    """Diagnostic, in-process: the recycled page's summary query itself, which the page caches until sales sends
    another lead back (what the first request after a rejection pays)."""
    import datetime as dt

    from django.db.models import Count

    from leadops import clock
    from lifecycle.models import StageTransition
    from lifecycle.views.queues import SENT_BACK_TRIGGERS

    since = clock.now() - dt.timedelta(days=90)
    sent_back = StageTransition.objects.filter(to_stage__in=["nurture", "disqualified"], occurred_at__gte=since,
                                               trigger__in=SENT_BACK_TRIGGERS)
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        list(sent_back.values("lead__latest_campaign__name", "reason__label", "trigger").annotate(n=Count("id"))
             .order_by("-n", "lead__latest_campaign__name")[:50])
        latencies.append((time.perf_counter() - t0) * 1000)
    result = summarise("SQL recycled summary, 90 days, uncached (in-process)", latencies,
                       wall_s=time.perf_counter() - started, target="", target_ms=None, concurrency=1,
                       note="what the recycled page pays once after each send-back", load1=round(os.getloadavg()[0], 2))
    log(f"{result.line()}  load {os.getloadavg()[0]:.2f}")
    return result


def _bulk(base_url: str, runs: int, log: Callable[[str], None]) -> Result:
    from lifecycle.models import Lead

    browser = Browser(base_url).sign_in(MANAGER)
    browser.request("GET", "/sal-review/")  # the page the manager submits from (sets the CSRF cookie)
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    moved = 0
    for _ in range(runs):
        ids = _bulk_candidates(BULK_SIZE)
        if len(ids) < BULK_SIZE:
            errors.append(f"only {len(ids)} MQLs left for {MANAGER}")
            break
        form = [("csrfmiddlewaretoken", browser.cookies.get("csrftoken", "")), ("bulk_action", "accept"),
                *(("lead", str(i)) for i in ids)]
        reply = browser.request("POST", "/sal-review/bulk/", form)
        accepted = Lead.objects.filter(pk__in=ids, stage="sal").count()
        moved += accepted
        if reply.status != 302 or accepted != BULK_SIZE:
            errors.append(f"{reply.status}: accepted {accepted} of {BULK_SIZE}")
            continue
        latencies.append(reply.ms)
    result = summarise(f"POST bulk accept of {BULK_SIZE} MQLs (SAL review)", latencies,
                       wall_s=time.perf_counter() - started, target=BULK_TARGET[0], target_ms=BULK_TARGET[1],
                       concurrency=1, errors=len(errors), note=f"{moved} leads moved MQL -> SAL as {MANAGER}",
                       error_samples=errors[:5], load1=round(os.getloadavg()[0], 2))
    log(f"{result.line()}  load {os.getloadavg()[0]:.2f}")
    return result


def http_workspace(opts: Any) -> list[Result]:
    """The ``bench/benchmarks.py`` entry (``python -m bench workspace``)."""
    return run(opts.base_url, requests=max(20, opts.requests // 5), concurrency=opts.concurrency,
               warmup=min(opts.warmup, 3), only=opts.only)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8771")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--bulk-runs", type=int, default=5, help="0: no bulk accept (consumes no leads)")
    parser.add_argument("--only", help="only the pages whose label contains this")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadops.settings.dev")
    import django

    django.setup()
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    run(args.base_url, requests=args.requests, concurrency=args.concurrency, warmup=args.warmup,
        bulk_runs=args.bulk_runs, only=args.only)


if __name__ == "__main__":
    main()
