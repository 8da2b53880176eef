"""``python manage.py generate_dataset --leads 1000000 --seed 1``: a realistic organisation with a year of
lead history, loaded with PostgreSQL COPY.

Small reference data (teams, ~200 reps and their profiles, managers, marketing ops, an admin, an
integrator, ~60 campaigns) goes through the ORM. Accounts, leads and every history table are
generated in blocks of 10,000 leads and streamed with ``COPY ... FROM STDIN (FORMAT csv)`` from
in-memory buffers; a writer thread owns its own connection, so PostgreSQL ingests one batch while
Python generates the next (the two cores both work). The secondary indexes of ``lifecycle_lead``
(its 20-odd btrees and the trigram GIN index) are dropped for the load and rebuilt afterwards, two
at a time; the other tables keep their indexes. Then sequences are moved past the loaded ids and
every loaded table is ANALYZEd.

Deterministic: the same ``--seed`` and ``--end`` give the same rows (each block has its own RNG
derived from the seed and the block number). ``--end`` defaults to today (UTC midnight).
"""

from __future__ import annotations

import datetime as dt
import io
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import psycopg2
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from bench import vocab
from bench.simulate import DAY, NULL, Campaign, Habit, Rows, Simulator, TeamInfo, World, cum, q, ts
from leadops.models import RepProfile, Team, User
from leadops.roles import Role
from lifecycle.models import Campaign as CampaignModel
from lifecycle.models import DispositionReason

BLOCK = 10_000  # leads per RNG block (fixed, so the data does not depend on the batch size)
BATCH_BLOCKS = 2  # blocks per COPY batch / commit
HEAVY_EMAIL = "heavy.timeline@timeline.example"
BENCH_PREFIX = "bench."

TABLES = {  # table -> COPY column list (CSV order)
    "lifecycle_account": "id,name,domain,industry,employee_count,country,annual_revenue,created_at,owner_id",
    "lifecycle_lead": (
        "id,email,first_name,last_name,title,seniority,phone,company_name,company_domain,employee_count,industry,"
        "country,lead_type,source,stage,status,assigned_at,fit_score,behaviour_score,score,high_intent,"
        "disposition_note,recycle_count,transition_count,budget,authority,need,timeline,became_lead_at,"
        "became_mql_at,became_sal_at,became_sql_at,became_opportunity_at,became_customer_at,became_nurture_at,"
        "became_disqualified_at,touch_attempts,first_attempt_at,last_touch_at,created_at,updated_at,account_id,"
        "disposition_id,first_campaign_id,latest_campaign_id,owner_id,team_id"
    ),
    "lifecycle_stagetransition": "id,seq,cycle,from_stage,to_stage,actor_kind,trigger,note,override,occurred_at,"
                                 "actor_id,lead_id,reason_id",
    "lifecycle_marketingevent": "id,type,occurred_at,properties,source,external_id,created_at,campaign_id,lead_id",
    "lifecycle_touch": "id,occurred_at,note,counts_as_attempt,cycle,created_at,lead_id,rep_id,channel,outcome",
    "routing_assignment": "id,method,rule_name,candidates,note,cycle,decided_at,latency_ms,actor_id,lead_id,"
                          "previous_rep_id,rep_id,team_id",
    "lifecycle_opportunity": "id,name,amount,currency,deal_stage,close_date,cycle,created_at,closed_at,account_id,"
                             "lead_id,lost_reason_id,owner_id",
}
ROW_ATTR = {"lifecycle_lead": "lead", "lifecycle_stagetransition": "transition", "lifecycle_marketingevent": "event",
            "lifecycle_touch": "touch", "routing_assignment": "assignment", "lifecycle_opportunity": "opportunity"}
ID_KEY = {"lifecycle_stagetransition": "transition", "lifecycle_marketingevent": "event", "lifecycle_touch": "touch",
          "routing_assignment": "assignment", "lifecycle_opportunity": "opportunity"}
RESET_TABLES = ["lifecycle_lead", "lifecycle_account", "lifecycle_campaign", "lifecycle_marketingevent",
                "lifecycle_touch", "lifecycle_stagetransition", "lifecycle_opportunity", "lifecycle_leadexternalid",
                "routing_assignment", "lifecycle_revenuetarget"]

# sales teams: key -> (name, kind, region, reps)
TEAMS = {
    "sales_na": ("Bench Sales NA", "sales", "na", 46), "sdr_na": ("Bench SDR NA", "sdr", "na", 30),
    "sales_emea": ("Bench Sales EMEA", "sales", "emea", 36), "sdr_emea": ("Bench SDR EMEA", "sdr", "emea", 22),
    "sales_apac": ("Bench Sales APAC", "sales", "apac", 24), "sales_latam": ("Bench Sales LATAM", "sales", "latam", 14),
    "enterprise": ("Bench Enterprise", "sales", "na", 20), "partners": ("Bench Partners", "sales", "na", 8),
}


class CopyError(RuntimeError):
    pass


def _dsn() -> dict[str, Any]:
    params = connection.get_connection_params()
    return {k: v for k, v in params.items() if k in ("dbname", "database", "user", "password", "host", "port")}


class CopyWriter(threading.Thread):
    """Runs the COPYs of queued batches on its own connection, one transaction per batch."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.queue: queue.Queue[list[tuple[str, bytes, int]] | None] = queue.Queue(maxsize=2)
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: dict[str, int] = defaultdict(int)
        self.bytes: dict[str, int] = defaultdict(int)
        self.error: BaseException | None = None
        self.conn = psycopg2.connect(**_dsn())
        with self.conn.cursor() as cur:
            cur.execute("SET synchronous_commit = off")
        self.conn.commit()

    def run(self) -> None:
        try:
            while True:
                batch = self.queue.get()
                if batch is None:
                    return
                with self.conn.cursor() as cur:
                    for table, data, count in batch:
                        started = time.perf_counter()
                        cur.copy_expert(f"COPY {table} ({TABLES[table]}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                                        io.BytesIO(data), size=1 << 20)
                        self.seconds[table] += time.perf_counter() - started
                        self.rows[table] += count
                        self.bytes[table] += len(data)
                started = time.perf_counter()
                self.conn.commit()  # the deferred foreign-key checks run here
                self.seconds["(commit: deferred FK checks)"] += time.perf_counter() - started
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            self.error = exc
            while True:  # drain, so the producer never blocks on a dead writer
                if self.queue.get() is None:
                    return

    def put(self, batch: list[tuple[str, bytes, int]]) -> None:
        if self.error is not None:
            raise CopyError(f"COPY failed: {self.error}") from self.error
        self.queue.put(batch)

    def finish(self) -> None:
        self.queue.put(None)
        self.join()
        self.conn.close()
        if self.error is not None:
            raise CopyError(f"COPY failed: {self.error}") from self.error


# --- reference data through the ORM ---------------------------------------------------------------------


def _person(rng: random.Random, region: str) -> tuple[str, str]:
    return rng.choice(vocab.FIRST_NAMES[region]), rng.choice(vocab.LAST_NAMES[region])


def create_org(rng: random.Random, *, reps: int, now: dt.datetime) -> dict[str, Any]:
    """Teams, managers, reps with profiles and habits, marketing ops, leadership, an admin, an integrator."""
    password = make_password("bench-password")  # hashed once: 200 PBKDF2 rounds would take a minute
    users: list[User] = []

    def user(username: str, role: str, first: str, last: str, **extra: Any) -> User:
        u = User(username=username, role=role, first_name=first, last_name=last, password=password,
                 email=f"{username}@bench.example", date_joined=now, **extra)
        users.append(u)
        return u

    marketing = Team.objects.create(name="Bench Marketing", kind="marketing", created_at=now)
    scale = reps / sum(t[3] for t in TEAMS.values())
    teams: dict[str, Team] = {}
    plan: list[tuple[str, User, str]] = []  # (team key, rep user, time zone)
    managers: dict[str, User] = {}
    for key, (name, kind, region, count) in TEAMS.items():
        team = Team.objects.create(name=name, kind=kind, created_at=now,
                                   capacity=int(count * scale * 60) if kind == "sdr" else None)
        teams[key] = team
        first, last = _person(rng, region)
        managers[key] = user(f"{BENCH_PREFIX}mgr.{key}", Role.SALES_MANAGER, first, last, team=team)
        for i in range(max(1, round(count * scale))):
            first, last = _person(rng, region)
            zone = rng.choice(vocab.REGION_TIME_ZONES[region])
            plan.append((key, user(f"{BENCH_PREFIX}rep.{key}.{i + 1:02d}", Role.SALES_REP, first, last,
                                   team=team), zone[0]))
    mops = [user(f"{BENCH_PREFIX}mops.{i}", Role.MARKETING_OPS, *_person(rng, "na"), team=marketing)
            for i in range(1, 6)]
    for i in range(1, 4):
        user(f"{BENCH_PREFIX}leadership.{i}", Role.LEADERSHIP, *_person(rng, "na"))
    admin = user(f"{BENCH_PREFIX}admin", Role.ADMIN, "Bench", "Admin", is_staff=True, is_superuser=True)
    integrator = user(f"{BENCH_PREFIX}integrator", Role.INTEGRATOR, "Bench", "Integrator")
    User.objects.bulk_create(users)
    by_name = {u.username: u for u in User.objects.filter(username__startswith=BENCH_PREFIX)}
    marketing.manager = by_name[mops[0].username]
    marketing.save(update_fields=["manager"])
    for key, team in teams.items():
        team.manager = by_name[managers[key].username]
        team.save(update_fields=["manager"])

    offsets = {zone: off for zones in vocab.REGION_TIME_ZONES.values() for zone, off in zones}
    profiles, habits, rep_team = [], {}, {}
    members: dict[str, list[tuple[int, int]]] = defaultdict(list)
    channel_sets = [  # habits: call-heavy, email-heavy, social sellers, balanced
        {"call": 6, "email": 3, "linkedin": 1, "sms": 0.5, "meeting": 0.3, "note": 0.5},
        {"email": 7, "call": 2, "linkedin": 1, "note": 0.3, "meeting": 0.2},
        {"linkedin": 5, "email": 3, "call": 2, "meeting": 0.3},
        {"call": 4, "email": 4, "linkedin": 2, "sms": 1, "meeting": 0.4, "note": 0.8},
    ]
    for key, rep_user, zone in plan:
        rep = by_name[rep_user.username]
        weight = rng.choice([1, 1, 1, 2, 2, 3])
        active = rng.random() > 0.04
        profiles.append(RepProfile(user=rep, weight=weight, capacity=rng.choice([30, 50, 80, 120, 150]),
                                   time_zone=zone, active=active))
        mix = rng.choice(channel_sets)
        habits[rep.pk] = Habit(first_response_h=rng.lognormvariate(1.2, 1.0), attempts=rng.uniform(2.0, 9.0),
                               gap_days=rng.uniform(0.5, 3.0), connect_rate=rng.uniform(0.04, 0.3),
                               channels=list(mix), channel_cum=cum(list(mix.values())), tz_offset=offsets[zone])
        rep_team[rep.pk] = key
        if active:
            members[key].append((rep.pk, weight))
    RepProfile.objects.bulk_create(profiles)
    team_info = {
        key: TeamInfo(id=teams[key].pk, key=key, manager_id=by_name[managers[key].username].pk,
                      reps=[r for r, _ in members[key]], rep_cum=cum([wt for _, wt in members[key]]))
        for key in TEAMS
    }
    return {"teams": team_info, "habits": habits, "rep_team": rep_team, "admin": by_name[admin.username],
            "mops_ids": [by_name[m.username].pk for m in mops], "integrator_id": by_name[integrator.username].pk,
            "users": len(users), "team_count": len(teams) + 1}


def create_campaigns(rng: random.Random, *, start: float, end: float, now: dt.datetime,
                     ) -> tuple[list[Campaign], list[float]]:
    """~60 campaigns over the year; webinars and events have a day when their leads bunch up."""
    rows: list[tuple[CampaignModel, float, float | None, float]] = []
    year = dt.datetime.fromtimestamp(end, dt.UTC).year
    for channel, (count, quality, volume, ctype, cost) in vocab.CHANNELS.items():
        for i in range(count):
            topic = vocab.CAMPAIGN_TOPICS[(i * 5 + len(channel)) % len(vocab.CAMPAIGN_TOPICS)]
            burst = None
            if channel in ("webinar", "event"):
                burst = start + (i + 0.5 + rng.uniform(-0.3, 0.3)) * (end - start - 10 * DAY) / count
                c_start, c_end = burst - 35 * DAY, burst + 5 * DAY
            elif channel in ("organic_search", "direct", "referral"):
                c_start, c_end = start, end - 60
            else:
                length = rng.uniform(60, 200) * DAY
                c_start = start + rng.uniform(0, end - start - length)
                c_end = min(end - 60, c_start + length)
            c_start = max(start, c_start)
            c_end = min(end - 60, c_end)
            q_campaign = quality * rng.uniform(0.75, 1.3)
            name = f"{year} {channel.replace('_', ' ').title()} - {topic} #{i + 1}"
            model = CampaignModel(
                name=name, channel=channel, type=ctype, cost=round(cost * rng.uniform(0.5, 1.6), 2),
                starts_on=dt.datetime.fromtimestamp(c_start, dt.UTC).date(),
                ends_on=dt.datetime.fromtimestamp(c_end, dt.UTC).date(),
                expected_volume=int(volume * 1000 / count), created_at=now,
            )
            rows.append((model, q_campaign, burst, volume / count * rng.uniform(0.5, 1.5)))
            model._bench_window = (c_start, c_end)  # type: ignore[attr-defined]
    CampaignModel.objects.bulk_create([m for m, *_ in rows])
    return [Campaign(id=m.pk, name=m.name, channel=m.channel, quality=quality, start=m._bench_window[0],  # type: ignore[attr-defined]
                     end=m._bench_window[1], burst=burst) for m, quality, burst, _ in rows], [w for *_, w in rows]


def account_rows(rng: random.Random, *, count: int, start: float, teams: dict[str, TeamInfo],
                 ) -> tuple[list[str], list[tuple], list[float]]:
    """Firmographics of ``count`` companies: the CSV lines, the tuples leads copy, and pick weights."""
    countries = list(vocab.COUNTRIES)
    country_cum = cum([vocab.COUNTRIES[c][2] for c in countries])
    industries = [i for i, _ in vocab.INDUSTRIES]
    industry_cum = cum([w for _, w in vocab.INDUSTRIES])
    used: set[str] = set()
    lines, tuples, weights = [], [], []
    for account_id in range(1, count + 1):
        a, b = rng.choice(vocab.COMPANY_WORDS_A), rng.choice(vocab.COMPANY_WORDS_B)
        country = countries[_bisect(country_cum, rng.random() * country_cum[-1])]
        region = vocab.COUNTRIES[country][0]
        stem = f"{a}{b}".lower()
        domain = stem + rng.choice(vocab.TLDS_BY_REGION[region])
        n = 2
        while domain in used:
            domain = f"{stem}{n}{rng.choice(vocab.TLDS_BY_REGION[region])}"
            n += 1
        used.add(domain)
        name = f"{a} {b}{'' if n == 2 else f' {n - 1}'}{rng.choice(vocab.COMPANY_SUFFIX)}"
        industry = industries[_bisect(industry_cum, rng.random() * industry_cum[-1])]
        emp = max(1, min(250_000, int(rng.lognormvariate(4.3, 1.7))))
        revenue = round(emp * rng.uniform(60_000, 320_000), -3)
        owner = None
        if rng.random() < 0.2:
            key = "enterprise" if emp >= 2000 else (f"sales_{region}" if region in ("apac", "latam") or emp >= 200
                                                    else f"sdr_{region}")
            reps = teams[key].reps
            owner = reps[int(rng.random() * len(reps))]
        created = start - rng.uniform(0, 3 * 365) * DAY
        lines.append(f"{account_id},{q(name)},{domain},{q(industry)},{emp},{country},{revenue:.2f},{ts(created)},"
                     f"{NULL if owner is None else owner}")
        tuples.append((name, domain, industry, emp, country, owner))
        weights.append(emp ** 0.35)
    return lines, tuples, weights


def _bisect(cum_weights: list[float], x: float) -> int:
    from bisect import bisect

    return bisect(cum_weights, x)


# --- index handling ----------------------------------------------------------------------------------


def secondary_indexes(cur, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes not backing a constraint (those stay)."""
    cur.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = %s AND i.schemaname = current_schema()
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)
           ORDER BY i.indexname""",
        [table],
    )
    return list(cur.fetchall())


def rebuild_indexes(definitions: list[tuple[str, str]], log: Callable[[str], None]) -> dict[str, float]:
    """Build the indexes on two connections: the GIN trigram one (not parallel in PostgreSQL 15) on one,
    the btrees (parallel workers) on the other."""
    timings: dict[str, float] = {}
    gin = [d for d in definitions if " USING gin " in d[1]]
    rest = [d for d in definitions if d not in gin]
    errors: list[BaseException] = []

    def build(defs: list[tuple[str, str]]) -> None:
        try:
            conn = psycopg2.connect(**_dsn())
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '1GB'")
                cur.execute("SET max_parallel_maintenance_workers = 1")
                for name, sql in defs:
                    started = time.perf_counter()
                    cur.execute(sql)
                    timings[name] = time.perf_counter() - started
            conn.close()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(part,)) for part in (gin, rest) if part]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return timings


# --- the command -------------------------------------------------------------------------------------


def reset(log: Callable[[str], None]) -> None:
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
    users = User.objects.filter(username__startswith=BENCH_PREFIX)
    Team.objects.filter(name__startswith="Bench ").update(manager=None)
    users.delete()
    Team.objects.filter(name__startswith="Bench ").delete()
    log("reset: truncated the lead, account, campaign and history tables; removed the bench org")


def generate(*, leads: int, seed: int, end: dt.date | None = None, accounts: int | None = None, reps: int = 200,
             do_reset: bool = False, keep_indexes: bool = False, log: Callable[[str], None] = print) -> dict:
    wall = time.perf_counter()
    timings: dict[str, float] = {}
    if do_reset:
        started = time.perf_counter()
        reset(log)
        timings["reset"] = time.perf_counter() - started
    from lifecycle.models import Account, Lead

    if Lead.objects.exists() or Account.objects.exists() or User.objects.filter(
            username__startswith=BENCH_PREFIX).exists():
        raise CopyError("The database already holds leads, accounts or a bench org; use --reset to start over.")
    end_day = end or dt.datetime.now(dt.UTC).date()
    end_ts = dt.datetime(end_day.year, end_day.month, end_day.day, tzinfo=dt.UTC).timestamp()
    start_ts = end_ts - 365 * DAY
    now = dt.datetime.fromtimestamp(end_ts, dt.UTC)
    accounts = accounts if accounts is not None else max(100, round(leads * 0.08))
    rng = random.Random(f"leadops-bench:{seed}:org")
    log(f"generating {leads:,} leads, {accounts:,} accounts, ~{reps} reps; seed {seed}; "
        f"history {dt.datetime.fromtimestamp(start_ts, dt.UTC).date()} .. {end_day} (UTC)")

    started = time.perf_counter()
    with transaction.atomic():
        org = create_org(rng, reps=reps, now=now)
        campaigns, campaign_weights = create_campaigns(rng, start=start_ts, end=end_ts, now=now)
    timings["org + campaigns (ORM)"] = time.perf_counter() - started
    log(f"org: {org['team_count']} teams, {org['users']} users ({len(org['habits'])} reps), "
        f"{len(campaigns)} campaigns in {timings['org + campaigns (ORM)']:.1f}s")

    started = time.perf_counter()
    a_lines, a_tuples, a_weights = account_rows(rng, count=accounts, start=start_ts, teams=org["teams"])
    timings["accounts (generate)"] = time.perf_counter() - started
    reasons = {(r.kind, r.code): (r.pk, r.target_stage) for r in DispositionReason.objects.all()}
    world = World(
        end=end_ts, start=start_ts, campaigns=campaigns, campaign_cum=cum(campaign_weights),
        email_campaigns=[c for c in campaigns if c.channel == "email"], account_ids=list(range(1, accounts + 1)),
        account_rows=a_tuples, account_cum=cum(a_weights), teams=org["teams"], habits=org["habits"],
        rep_team=org["rep_team"], reasons=reasons, mops_ids=org["mops_ids"], integrator_id=org["integrator_id"],
    )
    sim = Simulator(world, next_ids={k: 0 for k in ID_KEY.values()})

    with connection.cursor() as cur:
        dropped = [] if keep_indexes else secondary_indexes(cur, "lifecycle_lead")
        for name, _ in dropped:
            cur.execute(f'DROP INDEX "{name}"')
    if dropped:
        log(f"dropped {len(dropped)} secondary indexes of lifecycle_lead for the load")
    writer = CopyWriter()
    writer.start()
    gen_seconds = 0.0
    try:
        writer.put([("lifecycle_account", ("\n".join(a_lines) + "\n").encode(), len(a_lines))])
        del a_lines
        lead_id = 0
        blocks = (leads + BLOCK - 1) // BLOCK
        heavy_counts: dict[str, int] = {}
        rows = Rows()
        for block in range(blocks):
            t0 = time.perf_counter()
            brng = random.Random(f"leadops-bench:{seed}:block:{block}")
            count = min(BLOCK, leads - block * BLOCK)
            for _ in range(count):
                lead_id += 1
                if lead_id == leads:
                    heavy_counts = sim.heavy_lead(brng, lead_id, rows, HEAVY_EMAIL)
                else:
                    sim.lead(brng, lead_id, rows)
            gen_seconds += time.perf_counter() - t0
            if (block + 1) % BATCH_BLOCKS == 0 or block == blocks - 1:
                t0 = time.perf_counter()
                batch = []
                for table, attr in ROW_ATTR.items():
                    lines = getattr(rows, attr)
                    if lines:
                        batch.append((table, ("\n".join(lines) + "\n").encode(), len(lines)))
                rows = Rows()
                gen_seconds += time.perf_counter() - t0
                writer.put(batch)
                if (block + 1) % 20 == 0 or block == blocks - 1:
                    log(f"  {lead_id:>9,} leads generated  ({time.perf_counter() - wall:6.1f}s elapsed, "
                        f"python {gen_seconds:5.1f}s)")
        t0 = time.perf_counter()
        writer.finish()
        timings["wait for the last COPY"] = time.perf_counter() - t0
    finally:
        if dropped:
            t0 = time.perf_counter()
            log(f"rebuilding {len(dropped)} indexes of lifecycle_lead ...")
            index_times = rebuild_indexes(dropped, log)
            timings["lead index rebuild"] = time.perf_counter() - t0
            slow = sorted(index_times.items(), key=lambda kv: -kv[1])[:4]
            log("  slowest: " + ", ".join(f"{n} {s:.1f}s" for n, s in slow))
    timings["python generation (overlapped with COPY)"] = gen_seconds + timings["accounts (generate)"]
    del timings["accounts (generate)"]

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for table in ["lifecycle_account", *ROW_ATTR]:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM {table}), 1))")
    timings["sequences"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for table in ["lifecycle_account", *ROW_ATTR, "leadops_user", "leadops_team", "lifecycle_campaign"]:
            cur.execute(f"ANALYZE {table}")
    timings["analyze"] = time.perf_counter() - t0
    timings["total (wall)"] = time.perf_counter() - wall

    log("")
    log(f"{'table':<28}{'rows':>12}{'MB':>9}{'COPY s':>9}{'rows/s':>11}")
    for table in ["lifecycle_account", *ROW_ATTR]:
        n, secs, mb = writer.rows[table], writer.seconds[table], writer.bytes[table] / 1e6
        log(f"{table:<28}{n:>12,}{mb:>9.1f}{secs:>9.1f}{(n / secs if secs else 0):>11,.0f}")
    log(f"{'(commit: deferred FK checks)':<28}{'':>12}{'':>9}{writer.seconds['(commit: deferred FK checks)']:>9.1f}")
    log("")
    for name, secs in timings.items():
        log(f"{name:<44}{secs:>8.1f}s")
    log(f"heavy timeline lead: id {leads} <{HEAVY_EMAIL}> {heavy_counts}")
    return {"timings": timings, "rows": dict(writer.rows), "copy_seconds": dict(writer.seconds),
            "heavy_lead_id": leads, "transitions_checked": True}
