"""The benchmarks of issue 3 (and the harness the later ones plug into).

HTTP benchmarks speak only the documented API (api.md) with tokens, against a running server,
from this separate process. In-process ones time the selectors and the SQL directly; the list
benchmark also captures the real SQL of each list request (through Django's test client and
``CaptureQueriesContext``) and writes its ``EXPLAIN (ANALYZE, BUFFERS)`` plan to ``bench/plans/``.

Transitions consume data: every run accepts (or rejects) a few hundred distinct MQL leads of one
team. ``generate_dataset --reset`` gives a fresh set.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Api, ApiError, Reply, run_load
from bench.intake_bench import http_intake
from bench.reports_bench import http_reports
from bench.scoring_bench import run as scoring_pure
from bench.stats import Result, summarise
from bench.workspace_bench import http_workspace

PLANS_DIR = Path(__file__).resolve().parent / "plans"
MANAGER = "bench.mgr.sales_na"
ADMIN = "bench.admin"
HEAVY_EMAIL = "heavy.timeline@timeline.example"

TRANSITION_TARGET = ("p95 < 50 ms", 50.0)
LIST_TARGET = ("p95 < 100 ms", 100.0)
TIMELINE_TARGET = ("p95 < 50 ms", 50.0)


@dataclass
class Options:
    base_url: str = "http://127.0.0.1:8765"
    token: str | None = None  # reads: an admin (sees every lead)
    manager_token: str | None = None  # accept / reject: a sales manager of the leads' team
    requests: int = 200
    concurrency: int = 2
    warmup: int = 5
    server_pid: int | None = None
    plans_dir: Path = PLANS_DIR
    only: str | None = None  # run only the list combinations whose label contains this
    issued_token_ids: list[int] = field(default_factory=list)


# --- the list combinations ---------------------------------------------------------------------------

# (label, query, caller): {team} {campaign} {rep} {since} are filled in from the API before the run
LIST_COMBOS: list[tuple[str, str, str]] = [
    ("stage+source by score (issue 3)", "stage=mql&source=webinar&ordering=-score&page_size=50", "admin"),
    ("stage+source by score, big stage", "stage=lead&source=paid_social&ordering=-score&page_size=50", "admin"),
    ("stage+team by score", "stage=sal&team={team}&ordering=-score&page_size=50", "admin"),
    ("owner+stage by score", "owner={rep}&stage=sal&ordering=-score&page_size=50", "admin"),
    ("high_intent+stage by became_mql_at", "high_intent=true&stage=mql&ordering=-became_mql_at&page_size=50",
     "admin"),
    ("campaign+stage by created_at", "campaign={campaign}&stage=lead&ordering=-created_at&page_size=50", "admin"),
    ("score_min by score", "score_min=60&ordering=-score&page_size=50", "admin"),
    ("became_mql_after by became_mql_at", "became_mql_after={since}&ordering=-became_mql_at&page_size=50",
     "admin"),
    ("status+stage by created_at", "status=attempting&stage=sal&ordering=-created_at&page_size=50", "admin"),
    ("search q=name by score", "q=garcia&ordering=-score&page_size=50", "admin"),
    ("search q=company (default order)", "q=nimbus&page_size=50", "admin"),
    ("no filter (default order)", "page_size=50", "admin"),
    ("stage by score, page_size=500", "stage=lead&ordering=-score&page_size=500", "admin"),
    ("manager's view: stage by score", "stage=mql&ordering=-score&page_size=50", "manager"),
]


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


# --- setup helpers (in-process: the runner shares the server's database) ------------------------------------


def issue_tokens(opts: Options) -> None:
    """Issue the two tokens the HTTP benchmarks need (same code as ``manage.py issue_token``), unless given."""
    from leadops import services
    from leadops.models import Scope, User

    if opts.token is None:
        token, raw = services.token_issue(user=User.objects.get(username=ADMIN), name="bench (reads)",
                                          scopes=[Scope.LEADS_READ, Scope.LEADS_WRITE, Scope.ADMIN])
        opts.token = raw
        opts.issued_token_ids.append(token.pk)
    if opts.manager_token is None:
        token, raw = services.token_issue(user=User.objects.get(username=MANAGER), name="bench (transitions)",
                                          scopes=[Scope.LEADS_READ, Scope.LEADS_WRITE])
        opts.manager_token = raw
        opts.issued_token_ids.append(token.pk)


def revoke_issued(opts: Options) -> None:
    from leadops import services

    for token_id in opts.issued_token_ids:
        services.token_revoke(token_id=token_id)
    opts.issued_token_ids.clear()


def _fill(query: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        query = query.replace("{" + key + "}", urllib.parse.quote(value, safe=""))
    return query


def lookup_values(api: Api) -> dict[str, str]:
    """The ids the list combinations need, found through the API itself."""
    teams = api.get_json("/api/v1/teams/?page_size=100")["results"]
    team = next(t for t in teams if t["name"] == "Bench Sales NA")
    campaigns = api.get_json("/api/v1/campaigns/?channel=paid_search&page_size=50")["results"]
    sal = api.get_json(f"/api/v1/leads/?stage=sal&team={team['id']}&ordering=-score&page_size=5")["results"]
    rep = next(lead["owner"]["id"] for lead in sal if lead["owner"])
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    return {"team": str(team["id"]), "campaign": str(campaigns[0]["id"]), "rep": str(rep), "since": since}


# --- HTTP benchmarks -----------------------------------------------------------------------------------------


def http_lead_list(opts: Options) -> list[Result]:
    apis = {"admin": Api(opts.base_url, opts.token or ""), "manager": Api(opts.base_url, opts.manager_token or "")}
    values = lookup_values(apis["admin"])
    results = []
    n = max(20, opts.requests // 4)
    for label, template, caller in _combos(opts):
        api = apis[caller]
        path = "/api/v1/leads/?" + _fill(template, values)
        for _ in range(opts.warmup):
            api.request("GET", path)
        latencies, errors, wall, samples = run_load(range(n), lambda _i, p=path, a=api: a.request("GET", p),
                                                    concurrency=opts.concurrency)
        first = api.get_json(path)
        results.append(summarise(
            f"GET /leads/ {label}", latencies, wall_s=wall, target=LIST_TARGET[0],
            target_ms=LIST_TARGET[1], concurrency=opts.concurrency, errors=errors,
            note=f"`?{_fill(template, values)}` as {caller}",
            rows=len(first["results"]), error_samples=samples,
        ))
        print(results[-1].line(), flush=True)
    if opts.only is None or opts.only in "cursor pages":
        results.append(_http_deep_pages(apis["admin"], opts))
    return results


def _combos(opts: Options) -> list[tuple[str, str, str]]:
    return [combo for combo in LIST_COMBOS if opts.only is None or opts.only in combo[0]]


def _http_deep_pages(api: Api, opts: Options, pages: int = 40) -> Result:
    """Follow ``next`` through 40 pages of a big stage ordered by score: a keyset cursor costs the same on
    page 40 as on page 1."""
    path = "/api/v1/leads/?stage=lead&ordering=-score&page_size=50"
    latencies: list[float] = []
    started = time.perf_counter()
    errors = 0
    for _ in range(pages):
        reply = api.request("GET", path)
        if reply.status != 200:
            errors += 1
            break
        latencies.append(reply.ms)
        link = reply.json().get("next")
        if not link:
            break
        path = api.path_of(link)
    result = summarise("GET /leads/ cursor pages 1-40 (stage=lead by score)", latencies,
                       wall_s=time.perf_counter() - started, target=LIST_TARGET[0], target_ms=LIST_TARGET[1],
                       concurrency=1, errors=errors, note="following `next`, one client")
    print(result.line(), flush=True)
    return result


def _mql_leads(api: Api, count: int) -> list[dict[str, Any]]:
    """Distinct MQL leads the manager may accept: routed to an owner of the manager's team."""
    leads: list[dict[str, Any]] = []
    path = "/api/v1/leads/?stage=mql&ordering=-became_mql_at&page_size=500"
    while path and len(leads) < count:
        page = api.get_json(path)
        leads += [lead for lead in page["results"] if lead["owner"] and lead["stage"] == "mql"]
        path = api.path_of(page["next"]) if page.get("next") else ""
    return leads[:count]


def http_transition(opts: Options, action: str = "accept") -> list[Result]:
    api = Api(opts.base_url, opts.manager_token or "")
    n = opts.requests
    leads = _mql_leads(api, n + opts.warmup)
    if len(leads) < n + opts.warmup:
        raise RuntimeError(f"only {len(leads)} MQL leads left for {MANAGER}; regenerate the dataset")
    if action == "accept":
        def body(_lead: dict[str, Any]) -> dict[str, Any]:
            return {}
    else:
        def body(lead: dict[str, Any]) -> dict[str, Any]:
            return reject_body(lead["id"])

    def call(lead: dict[str, Any]) -> Reply:
        return api.request("POST", f"/api/v1/leads/{lead['id']}/{action}/", body(lead))

    for lead in leads[:opts.warmup]:
        call(lead)
    latencies, errors, wall, samples = run_load(leads[opts.warmup:], call, concurrency=opts.concurrency)
    result = summarise(f"POST /leads/{{id}}/{action}/ (distinct MQL leads)", latencies, wall_s=wall,
                       target=TRANSITION_TARGET[0], target_ms=TRANSITION_TARGET[1], concurrency=opts.concurrency,
                       errors=errors, note=f"as {MANAGER}; each lead once", error_samples=samples)
    print(result.line(), flush=True)
    return [result]


REJECT_REASONS = ["wrong_title", "missing_data", "wrong_company_size", "insufficient_budget", "duplicate"]


def reject_body(lead_id: int) -> dict[str, str]:
    """A rejection as a manager sends it; the reasons alternate between nurture and disqualified."""
    return {"reason": REJECT_REASONS[lead_id % len(REJECT_REASONS)], "note": "bench"}


def http_reject(opts: Options) -> list[Result]:
    return http_transition(opts, action="reject")


def heavy_lead_id(api: Api) -> int:
    found = api.get_json("/api/v1/leads/?q=heavy.timeline&page_size=5")["results"]
    lead = next(lead for lead in found if lead["email"] == HEAVY_EMAIL)
    return int(lead["id"])


def http_timeline(opts: Options) -> list[Result]:
    api = Api(opts.base_url, opts.token or "")
    lead_id = heavy_lead_id(api)
    path = f"/api/v1/leads/{lead_id}/timeline/"
    items = len(api.get_json(path)["results"])
    for _ in range(opts.warmup):
        api.request("GET", path)
    latencies, errors, wall, samples = run_load(range(opts.requests), lambda _i: api.request("GET", path),
                                                concurrency=opts.concurrency)
    result = summarise(f"GET /leads/{{id}}/timeline/ ({items} items)", latencies, wall_s=wall,
                       target=TIMELINE_TARGET[0], target_ms=TIMELINE_TARGET[1], concurrency=opts.concurrency,
                       errors=errors, note=f"lead {lead_id}", items=items, error_samples=samples)
    print(result.line(), flush=True)
    return [result]


# --- in-process benchmarks -------------------------------------------------------------------------------------


def _diagnostic(target: tuple[str, float]) -> str:
    """In-process rows explain the HTTP ones; they carry the endpoint's budget but no verdict of their own."""
    return f"diagnostic (endpoint: {target[0]})"


def _timed(fn: Callable[[], Any], n: int, warmup: int) -> tuple[list[float], float]:
    for _ in range(warmup):
        fn()
    samples = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, time.perf_counter() - started


def inproc_timeline(opts: Options) -> list[Result]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lifecycle.models import Lead
    from lifecycle.selectors import lead_timeline

    lead = Lead.objects.get(email=HEAVY_EMAIL)
    with CaptureQueriesContext(connection) as ctx:
        items = lead_timeline(lead)
    _write_plans(opts.plans_dir, "timeline", [q["sql"] for q in ctx.captured_queries])
    results = []
    samples, wall = _timed(lambda: lead_timeline(lead), opts.requests, opts.warmup)
    results.append(summarise(f"lead_timeline() selector ({len(items)} items, in-process)", samples, wall_s=wall,
                             target=_diagnostic(TIMELINE_TARGET), target_ms=None,
                             note=f"{len(ctx.captured_queries)} queries", queries=len(ctx.captured_queries)))
    for result in results:
        print(result.line(), flush=True)
    return results


def _client(username: str):
    from django.test import Client

    from leadops import services
    from leadops.models import Scope, User

    token, raw = services.token_issue(user=User.objects.get(username=username), name="bench (in-process)",
                                      scopes=[Scope.LEADS_READ, Scope.LEADS_WRITE])
    return Client(HTTP_AUTHORIZATION=f"Token {raw}"), token


def inproc_list_sql(opts: Options) -> list[Result]:
    """For each list combination: the real SQL of the request (captured in-process through the view), its
    EXPLAIN (ANALYZE, BUFFERS) plan in bench/plans/, and the time of the SQL alone."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadops import services

    clients = {"admin": _client(ADMIN), "manager": _client(MANAGER)}
    values = _inproc_values(clients["admin"][0])
    results = []
    try:
        for label, template, caller in _combos(opts):
            client = clients[caller][0]
            query = _fill(template, values)
            client.get("/api/v1/leads/?" + query)  # warm
            with CaptureQueriesContext(connection) as ctx:
                response = client.get("/api/v1/leads/?" + query)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} for {query}: {response.content[:300]!r}")
            lead_queries = [q for q in ctx.captured_queries if 'FROM "lifecycle_lead"' in q["sql"]
                            and "LIMIT" in q["sql"]]
            main = max(lead_queries, key=lambda q: float(q["time"]))["sql"]
            plan = _explain(main)
            _write_plan(opts.plans_dir, _slug(label), label, query, caller, main, plan, len(ctx.captured_queries))

            def run(sql: str = main) -> None:
                with connection.cursor() as cur:
                    cur.execute(sql)
                    cur.fetchall()

            samples, wall = _timed(run, max(10, opts.requests // 4), 2)
            seq_scan = "Seq Scan on lifecycle_lead" in plan
            execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
            where = opts.plans_dir.relative_to(PLANS_DIR.parent.parent)
            result = summarise(
                f"SQL of /leads/ {label}", samples, wall_s=wall, target="(SQL part of the 100 ms page)",
                target_ms=None, note=f"plan: {where}/{_slug(label)}.txt"
                                     + ("; SEQ SCAN on lifecycle_lead" if seq_scan else ""),
                queries=len(ctx.captured_queries), seq_scan=seq_scan,
                explain_ms=float(execution.group(1)) if execution else None,
            )
            results.append(result)
            print(result.line(), flush=True)
    finally:
        for _client_obj, token in clients.values():
            services.token_revoke(token_id=token.pk)
    return results


def _inproc_values(client) -> dict[str, str]:
    from leadops.models import Team
    from lifecycle.models import Campaign, Lead

    team = Team.objects.get(name="Bench Sales NA")
    campaign = Campaign.objects.filter(channel="paid_search").order_by("-starts_on", "name").first()
    rep = (Lead.objects.filter(stage="sal", team=team, owner__isnull=False).order_by("-score", "-id")
           .values_list("owner_id", flat=True).first())
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).replace(microsecond=0).isoformat()
    assert campaign is not None and rep is not None
    return {"team": str(team.pk), "campaign": str(campaign.pk), "rep": str(rep), "since": since}


def _explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cur.fetchall())


def _write_plan(plans_dir: Path, slug: str, label: str, query: str, caller: str, sql: str, plan: str,
                queries: int) -> None:
    plans_dir.mkdir(parents=True, exist_ok=True)
    (plans_dir / f"{slug}.txt").write_text(
        f"-- {label}\n-- GET /api/v1/leads/?{query}  (as {caller}; {queries} SQL queries in the request)\n"
        f"-- captured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n\n{sql}\n\n{plan}\n"
    )


def _write_plans(plans_dir: Path, name: str, sqls: list[str]) -> None:
    plans_dir.mkdir(parents=True, exist_ok=True)
    parts = [f"-- {name}: {len(sqls)} queries, captured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"]
    for sql in sqls:
        parts.append(f"\n{sql}\n\n{_explain(sql)}")
    (plans_dir / f"{name}.txt").write_text("\n".join(parts) + "\n")


def inproc_transition(opts: Options) -> list[Result]:
    """The transition service alone (lead_accept), in-process, on distinct MQL leads of the manager's team."""
    from leadops.models import User
    from lifecycle import services
    from lifecycle.models import Lead
    from lifecycle.services import Actor

    manager = User.objects.get(username=MANAGER)
    actor = Actor.of(manager)
    ids = list(Lead.objects.filter(stage="mql", team__manager=manager, owner__isnull=False)
               .order_by("id").values_list("id", flat=True)[: opts.requests + opts.warmup])
    if len(ids) < opts.requests + opts.warmup:
        raise RuntimeError("not enough MQL leads left; regenerate the dataset")
    for lead_id in ids[:opts.warmup]:
        services.lead_accept(lead_id=lead_id, actor=actor)
    rest = iter(ids[opts.warmup:])
    samples, wall = _timed(lambda: services.lead_accept(lead_id=next(rest), actor=actor), opts.requests, 0)
    result = summarise("lead_accept() service (in-process)", samples, wall_s=wall,
                       target=_diagnostic(TRANSITION_TARGET), target_ms=None)
    print(result.line(), flush=True)
    return [result]


def inproc_api(opts: Options) -> list[Result]:
    """The same endpoints through Django's test client: the application's own time and its SQL query count,
    without gunicorn, sockets or the load client (the gap to the HTTP numbers is that overhead plus load)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadops import services
    from leadops.models import User
    from lifecycle.models import Lead

    admin, admin_token = _client(ADMIN)
    manager, manager_token = _client(MANAGER)
    results = []
    try:
        heavy = Lead.objects.get(email=HEAVY_EMAIL).pk
        manager_user = User.objects.get(username=MANAGER)

        def mql_ids() -> Any:
            """Distinct MQL leads of the manager's team, read when a transition case starts (each is used once)."""
            ids = list(Lead.objects.filter(stage="mql", team__manager=manager_user, owner__isnull=False)
                       .order_by("-became_mql_at", "-id").values_list("id", flat=True)[: opts.requests + 2])
            if len(ids) < opts.requests + 2:
                raise RuntimeError(f"only {len(ids)} MQL leads left for {MANAGER}; regenerate the dataset")
            return iter(ids)

        pending: dict[str, Any] = {}

        def next_mql(action: str) -> int:
            if action not in pending:
                pending[action] = mql_ids()
            return int(next(pending[action]))

        def reject() -> Any:
            lead_id = next_mql("reject")
            return manager.post(f"/api/v1/leads/{lead_id}/reject/", reject_body(lead_id),
                                content_type="application/json")

        cases = [
            ("GET /leads/?stage=mql&source=webinar&ordering=-score&page_size=50", LIST_TARGET,
             lambda: admin.get("/api/v1/leads/?stage=mql&source=webinar&ordering=-score&page_size=50")),
            ("GET /leads/{id}/timeline/ (500 items)", TIMELINE_TARGET,
             lambda: admin.get(f"/api/v1/leads/{heavy}/timeline/")),
            ("POST /leads/{id}/accept/", TRANSITION_TARGET,
             lambda: manager.post(f"/api/v1/leads/{next_mql('accept')}/accept/", {},
                                  content_type="application/json")),
            ("POST /leads/{id}/reject/", TRANSITION_TARGET, reject),
        ]
        for label, (target, target_ms), call in cases:
            response = call()
            with CaptureQueriesContext(connection) as ctx:
                response = call()
            if response.status_code != 200:
                raise RuntimeError(f"{label}: {response.status_code} {response.content[:300]!r}")
            queries = len(ctx.captured_queries)
            sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
            samples, wall = _timed(call, opts.requests, 0)
            results.append(summarise(f"{label} via test client (in-process)", samples, wall_s=wall,
                                     target=_diagnostic((target, target_ms)), target_ms=None,
                                     note=f"{queries} SQL queries, {sql_ms:.1f} ms of SQL in one sampled request",
                                     queries=queries, sql_ms=sql_ms))
            print(results[-1].line(), flush=True)
    finally:
        services.token_revoke(token_id=admin_token.pk)
        services.token_revoke(token_id=manager_token.pk)
    return results


@dataclass(frozen=True)
class Benchmark:
    name: str
    run: Callable[[Options], list[Result]]
    http: bool
    about: str


BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in [
    Benchmark("list_sql", inproc_list_sql, False, "real SQL of each lead-list combination: plans + SQL time"),
    Benchmark("timeline_selector", inproc_timeline, False, "lead_timeline() on the 500-item lead, in-process"),
    Benchmark("transition_service", inproc_transition, False, "lead_accept() service, in-process"),
    Benchmark("api_inprocess", inproc_api, False, "list, timeline, accept through Django's test client"),
    Benchmark("lead_list", http_lead_list, True, "GET /leads/ with filter combinations and cursor pages"),
    Benchmark("transition", http_transition, True, "POST /leads/{id}/accept/ on distinct MQL leads"),
    Benchmark("reject", http_reject, True, "POST /leads/{id}/reject/ on distinct MQL leads"),
    Benchmark("timeline", http_timeline, True, "GET /leads/{id}/timeline/ of the 500-item lead"),
    Benchmark("reports", http_reports, True, "every /reports/ endpoint and report page (bench/reports_bench.py)"),
    Benchmark("intake", http_intake, True, "issue 7: bulk upsert, event lists, paced single creates (adds leads)"),
    Benchmark("workspace", http_workspace, True, "issue 8 pages signed in, bulk accept of 50 (uses 250 MQLs)"),
    Benchmark("scoring_pure", scoring_pure, False, "issue 4: score() of one lead with 200 events (1M runs: "
                                                   "bench/scoring_bench.py --activation / --event-mql)"),
]}

__all__ = ["BENCHMARKS", "ApiError", "Options"]
