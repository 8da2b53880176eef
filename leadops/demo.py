"""The demo organisation: ``python manage.py demo_data`` (and ``leadops up --demo``).

Two halves:

* ``build_plan(seed=, leads=, base=)`` decides everything with ``random.Random(seed)``: the people, accounts,
  campaigns, and for every lead a story (its steps, each with a moment relative to ``base``, midnight UTC of
  today). It reads no database and no wall clock, so a seed gives the same leads, stages and reasons on any day.
* ``load(plan)`` writes it in one transaction. The scripted stories (the ones that guarantee every reason, deal
  stage, cycle and queue is on show) and every ``service_every``-th other story are replayed through the real
  services at their historical moments (``clock.frozen_at``). The rest go through ``Replay``, an in-memory
  mirror of the same services whose rows are bulk-inserted, because 3,000 leads through the services take
  minutes. tests/leadops/test_demo_data.py plays the same stories both ways and compares every row, so the
  mirror cannot drift from the services unnoticed.

Stand-ins until the routing and scoring services are committed: the routing decision of an MQL is written here
(``route_write``) as the router writes it (one ``Assignment`` row with the rule name, the candidates in the
router's ledger shape and the latency; the owner and team on the lead), and each lead gets the fit and behaviour
score of domain.md section 5's default rules as of ``base``. Both should then call the real services.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model

from leadops import clock, events
from leadops import services as org_services
from leadops.demo_logins import DEMO_LOGINS, DEMO_PASSWORD
from leadops.errors import DomainError
from leadops.models import RepProfile, Team, User
from leadops.roles import Role
from lifecycle import services as lc
from lifecycle.catalogue import DISPOSITIONS, TOUCH_CHANNELS, TOUCH_OUTCOMES
from lifecycle.models import (
    CLOSED_DEAL_STAGES,
    Account,
    ActorKind,
    Campaign,
    DealStage,
    DispositionReason,
    Lead,
    LeadStatus,
    MarketingEvent,
    Opportunity,
    RevenueTarget,
    StageTransition,
    Touch,
    TouchChannel,
    TouchOutcome,
)
from lifecycle.selectors import DEFAULT_CADENCE_ATTEMPTS, cadence_required_attempts
from lifecycle.services.activity import WORKING_STAGES
from lifecycle.services.assignment import CLOSED_STAGES as NOT_ASSIGNABLE
from lifecycle.services.leads import derive_seniority, email_domain, is_free_mail, normalise_domain, normalise_email
from lifecycle.services.transitions import BANT_FIELDS, REASON_KIND_FOR, _start_cycle
from lifecycle.state_machine import STATUS_ON_ENTRY, By, Requires, Stage, find_move, starts_new_cycle, timestamp_field
from routing.models import Assignment, AssignmentMethod

SECOND = dt.timedelta(seconds=1)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

DEFAULT_LEADS = 3000
MIN_LEADS = 100
SERVICE_EVERY = 40  # besides the scripted stories, every 40th story goes through the real services
STALL_WINDOW = 150 * DAY  # work left undone (aging leads) only in the last months

# --- the organisation -------------------------------------------------------------------------------------------

MARKETING, ENTERPRISE, MIDMARKET, SDR = "Marketing", "Enterprise Sales", "Mid-market Sales", "SDR"
# (name, kind, manager, capacity)
TEAMS: list[tuple[str, str, str, int | None]] = [
    (MARKETING, "marketing", "maya", None),
    (ENTERPRISE, "sales", "sam", 220),
    (MIDMARKET, "sales", "sam", 300),
    (SDR, "sdr", "dana", 480),
]
# Fixed offsets from UTC (standard time) used for working hours, so a seed gives the same story on any day.
UTC_OFFSET = {"America/New_York": -5, "America/Los_Angeles": -8, "Europe/London": 0, "Europe/Berlin": 1,
              "Asia/Singapore": 8, "Australia/Sydney": 10, "UTC": 0}


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str | None = None
    time_zone: str = "UTC"
    weight: int = 1
    capacity: int = 50

    @property
    def is_rep(self) -> bool:
        return self.role == Role.SALES_REP

    @property
    def offset(self) -> dt.timedelta:
        return dt.timedelta(hours=UTC_OFFSET.get(self.time_zone, 0))


PEOPLE: list[Person] = [
    Person("admin", "Morgan", "Ellis", Role.ADMIN, time_zone="Europe/London"),
    Person("maya", "Maya", "Okafor", Role.MARKETING_OPS, MARKETING, "Europe/London"),
    Person("nina", "Nina", "Patel", Role.MARKETING_OPS, MARKETING, "America/New_York"),
    Person("sam", "Sam", "Whitaker", Role.SALES_MANAGER, ENTERPRISE, "America/New_York"),
    Person("dana", "Dana", "Ortiz", Role.SALES_MANAGER, SDR, "America/New_York"),
    Person("lee", "Lee", "Morgan", Role.LEADERSHIP, None, "America/New_York"),
    # Enterprise account executives
    Person("priya", "Priya", "Raman", Role.SALES_REP, ENTERPRISE, "America/New_York", 3, 60),
    Person("oliver", "Oliver", "Grant", Role.SALES_REP, ENTERPRISE, "Europe/London", 2, 50),
    Person("mei", "Mei", "Tan", Role.SALES_REP, ENTERPRISE, "Asia/Singapore", 2, 45),
    Person("jack", "Jack", "Morrison", Role.SALES_REP, ENTERPRISE, "Australia/Sydney", 1, 35),
    Person("tom", "Tom", "Becker", Role.SALES_REP, ENTERPRISE, "Europe/Berlin", 2, 50),
    # Mid-market account executives
    Person("riley", "Riley", "Chen", Role.SALES_REP, MIDMARKET, "America/Los_Angeles", 2, 60),
    Person("marcus", "Marcus", "Webb", Role.SALES_REP, MIDMARKET, "America/New_York", 3, 70),
    Person("sofia", "Sofia", "Keller", Role.SALES_REP, MIDMARKET, "Europe/Berlin", 2, 55),
    Person("hannah", "Hannah", "Price", Role.SALES_REP, MIDMARKET, "Europe/London", 1, 40),
    # SDRs (small companies and unknown size)
    Person("alex", "Alex", "Rivera", Role.SALES_REP, SDR, "America/New_York", 3, 120),
    Person("jordan", "Jordan", "Blake", Role.SALES_REP, SDR, "America/Los_Angeles", 2, 100),
    Person("emma", "Emma", "Schulz", Role.SALES_REP, SDR, "Europe/Berlin", 2, 90),
    Person("liam", "Liam", "OConnor", Role.SALES_REP, SDR, "Australia/Sydney", 1, 80),
    # the marketing automation platform's API client (no password, no browser login)
    Person("mapi", "Marketing", "Automation", Role.INTEGRATOR),
]
PEOPLE_BY_NAME = {p.username: p for p in PEOPLE}
DEPARTED = {"tom": 45}  # rep -> days before base when they stopped taking leads (moved to partner management)
ON_LEAVE = {  # rep -> [(days before base it starts, days before base it ends (negative: after base), note)]
    "hannah": [(5, -9, "Parental leave (first part)")],
    "priya": [(130, 116, "Vacation")],
}
ORG_DOMAIN = "leadops.example"


def leave_ranges(base: dt.datetime, username: str) -> list[tuple[dt.datetime, dt.datetime, str]]:
    return [(base - a * DAY + 7 * HOUR, base - b * DAY + 7 * HOUR, note) for a, b, note in ON_LEAVE.get(username, [])]

# --- the market ---------------------------------------------------------------------------------------------------

SERVED_COUNTRIES = {"US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "ES", "AU", "NZ", "SG"}
COUNTRIES: list[tuple[str, int, str, str]] = [  # code, weight, tld, phone prefix
    ("US", 40, "com", "+1"), ("GB", 12, "co.uk", "+44"), ("DE", 9, "de", "+49"), ("CA", 6, "ca", "+1"),
    ("FR", 4, "fr", "+33"), ("NL", 4, "nl", "+31"), ("AU", 6, "com.au", "+61"), ("SG", 4, "sg", "+65"),
    ("IE", 2, "ie", "+353"), ("SE", 2, "se", "+46"), ("ES", 2, "es", "+34"), ("NZ", 1, "co.nz", "+64"),
    ("IN", 3, "in", "+91"), ("BR", 2, "com.br", "+55"), ("JP", 2, "jp", "+81"), ("ZA", 1, "co.za", "+27"),
]
COUNTRY_TLD = {c: tld for c, _, tld, _ in COUNTRIES}
COUNTRY_PHONE = {c: p for c, _, _, p in COUNTRIES}
TARGET_INDUSTRIES = {"Software", "Financial Services", "Healthcare", "Professional Services"}
# company name suffix word -> industry
COMPANY_WORDS: list[tuple[str, str]] = [
    ("Analytics", "Software"), ("Software", "Software"), ("Cloud", "Software"), ("Labs", "Software"),
    ("Systems", "Software"), ("Data", "Software"), ("Security", "Software"), ("Capital", "Financial Services"),
    ("Payments", "Financial Services"), ("Bank", "Financial Services"), ("Insurance", "Financial Services"),
    ("Health", "Healthcare"), ("Medical", "Healthcare"), ("Biotech", "Healthcare"), ("Consulting",
    "Professional Services"), ("Partners", "Professional Services"), ("Advisory", "Professional Services"),
    ("Logistics", "Logistics"), ("Freight", "Logistics"), ("Manufacturing", "Manufacturing"),
    ("Industries", "Manufacturing"), ("Robotics", "Manufacturing"), ("Foods", "Retail"), ("Retail", "Retail"),
    ("Outfitters", "Retail"), ("Media", "Media"), ("Studios", "Media"), ("Energy", "Energy"),
    ("Power", "Energy"), ("Learning", "Education"), ("Academy", "Education"), ("Networks", "Telecommunications"),
    ("Telecom", "Telecommunications"), ("Travel", "Travel & Hospitality"), ("Hotels", "Travel & Hospitality"),
]
COMPANY_STEMS = [
    "North", "Blue", "Silver", "Bright", "Iron", "Cedar", "Harbor", "Summit", "Vertex", "Nimbus", "Quantum",
    "Atlas", "Evergreen", "Granite", "Lumen", "Orbit", "Pioneer", "Redwood", "Sterling", "Tidal", "Apex",
    "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Horizon", "Keystone", "Maple", "Meridian", "Nova", "Oakridge",
    "Pinecrest", "Prism", "Riverstone", "Sapphire", "Solstice", "Stratus", "Trident", "Zenith", "Aurora",
    "Brookfield", "Crescent", "Driftwood", "Elmwood", "Fjord", "Glacier", "Highland", "Juniper", "Kestrel",
    "Larkspur", "Mosaic", "Northwind", "Oasis", "Paragon", "Quill", "Rampart", "Sequoia", "Talon", "Umber",
    "Vantage", "Willow", "Yellowstone", "Bluepeak", "Clearwater", "Fairview", "Goldleaf", "Ironbridge",
    "Lakeshore", "Moonstone", "Ridgeline", "Stonegate", "Westbrook",
]
LEGAL_FORM = {"US": "Inc.", "CA": "Inc.", "GB": "Ltd", "IE": "Ltd", "DE": "GmbH", "FR": "SAS", "NL": "B.V.",
              "AU": "Pty Ltd", "SG": "Pte Ltd", "SE": "AB", "ES": "S.L.", "NZ": "Ltd", "IN": "Pvt Ltd",
              "BR": "Ltda", "JP": "K.K.", "ZA": "(Pty) Ltd"}
FIRST_NAMES = [
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
    "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley", "Paul",
    "Emily", "Andrew", "Michelle", "Joshua", "Amanda", "Kevin", "Melissa", "Brian", "Stephanie", "George",
    "Rebecca", "Timothy", "Laura", "Ryan", "Sharon", "Jacob", "Cynthia", "Gary", "Amy", "Nicholas", "Angela",
    "Eric", "Anna", "Jonathan", "Ruth", "Aarav", "Ananya", "Rohan", "Diya", "Wei", "Li", "Hiroshi", "Yuki",
    "Lukas", "Lena", "Felix", "Mia", "Jonas", "Hannah", "Noah", "Emma", "Oliver", "Amelia", "Harry", "Isla",
    "Lucas", "Chloe", "Mateo", "Sofia", "Santiago", "Valentina", "Pierre", "Camille", "Louis", "Ines",
    "Lars", "Astrid", "Sven", "Freja", "Sean", "Aoife", "Kwame", "Amara", "Tariq", "Leila", "Omar", "Nadia",
    "Ethan", "Grace", "Liam", "Zoe", "Aidan", "Priya", "Arjun", "Meera", "Chen", "Mei", "Jin", "Hana",
]
LAST_NAMES = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
    "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Mueller", "Schmidt",
    "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Dubois", "Laurent", "Moreau",
    "Bernard", "Jansen", "DeVries", "Bakker", "Visser", "Andersson", "Johansson", "Karlsson", "Nilsson",
    "Murphy", "Kelly", "OBrien", "Walsh", "Patel", "Sharma", "Singh", "Gupta", "Iyer", "Reddy", "Tanaka",
    "Suzuki", "Sato", "Watanabe", "Wang", "Zhang", "Liu", "Chen", "Lim", "Tan", "Ng", "Wong", "Kim", "Park",
    "Silva", "Santos", "Oliveira", "Costa", "Mensah", "Okafor", "Haddad", "Khan", "Cohen", "Levi", "Novak",
    "Kowalski", "Rossi", "Russo", "Ferrari", "Fernandez", "Ruiz", "Murray", "Fraser", "Hughes", "Evans",
]
TITLES: dict[str, list[str]] = {
    "cxo": ["CEO", "Chief Revenue Officer", "Chief Marketing Officer", "Founder", "COO", "CTO", "President"],
    "vp": ["VP Marketing", "VP Sales", "VP Revenue Operations", "SVP Growth", "VP Demand Generation",
           "Vice President, Customer Success"],
    "director": ["Director of Marketing", "Head of Demand Generation", "Director of Sales Operations",
                 "Head of Revenue Operations", "Director, Growth Marketing", "Head of Sales Development"],
    "manager": ["Marketing Operations Manager", "Sales Manager", "Demand Generation Manager", "RevOps Manager",
                "Team Lead, Inside Sales", "Campaign Manager", "CRM Manager"],
    "individual": ["Marketing Specialist", "Sales Operations Analyst", "Account Executive", "Marketing Coordinator",
                   "Business Analyst", "Software Engineer", "Data Analyst", "Growth Marketer"],
}
SENIORITY_WEIGHTS = [("cxo", 7), ("vp", 11), ("director", 22), ("manager", 31), ("individual", 29)]
STUDENT_TITLES = ["Student", "MBA Candidate", "Graduate Student"]
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de", "web.de",
             "proton.me"]

# --- campaigns: (name, channel, type, started days ago, ended days ago (None: always on), cost, expected leads) ---
CAMPAIGNS: list[tuple[str, str, str, int, int | None, int, int]] = [
    ("Google Ads: lead management software", "paid_search", "search ads", 364, None, 84000, 520),
    ("Google Ads: competitor terms", "paid_search", "search ads", 200, 20, 26000, 140),
    ("LinkedIn Ads: the SLA playbook", "paid_social", "sponsored content", 330, 150, 38000, 260),
    ("LinkedIn Lead Gen: RevOps benchmark", "paid_social", "lead gen forms", 140, None, 31000, 240),
    ("Meta retargeting", "paid_social", "retargeting", 250, 60, 12000, 90),
    ("Ebook: The revenue team SLA playbook", "content", "ebook", 360, None, 9500, 300),
    ("Content syndication: B2B tech audiences", "content", "syndication", 300, 30, 45000, 380),
    ("Report: State of lead management", "content", "report", 120, None, 7000, 160),
    ("Webinar: Fixing the MQL-to-SQL hand-off", "webinar", "webinar", 352, 338, 4500, 90),
    ("Webinar: SLAs that sales actually keeps", "webinar", "webinar", 262, 248, 4000, 80),
    ("Webinar: Pipeline reviews that work", "webinar", "webinar", 172, 158, 4200, 85),
    ("Webinar: Scoring models without the guesswork", "webinar", "webinar", 84, 70, 5000, 95),
    ("Webinar: Forecasting with clean data", "webinar", "webinar", 30, 16, 5500, 100),
    ("RevOps Summit London (booth)", "event", "trade show", 292, 290, 38000, 120),
    ("SaaStr Annual (booth)", "event", "trade show", 193, 191, 55000, 160),
    ("Sales Ops Meetup Sydney", "event", "field event", 97, 97, 6000, 30),
    ("Newsletter: The Handoff (monthly)", "email", "newsletter", 364, None, 3000, 220),
    ("Nurture: re-engagement series", "email", "nurture", 240, None, 1500, 120),
    ("Customer referral programme", "referral", "referral", 364, None, 15000, 90),
    ("Partner: Northwind Consulting co-marketing", "partner", "co-marketing", 280, None, 20000, 110),
    ("Website and SEO (always on)", "organic_search", "organic", 364, None, 18000, 420),
]
# How well each channel's leads convert (referral and webinars well; paid social and syndication poorly).
QUALITY = {"referral": 0.95, "webinar": 0.85, "partner": 0.8, "organic_search": 0.65, "event": 0.6,
           "direct": 0.6, "paid_search": 0.55, "email": 0.45, "content": 0.3, "paid_social": 0.25}
FIRST_EVENT: dict[str, list[tuple[str, int]]] = {
    "webinar": [("webinar_attended", 1)],
    "event": [("content_download", 3), ("contact_sales", 1)],
    "paid_search": [("demo_request", 3), ("content_download", 4), ("pricing_page_view", 3)],
    "paid_social": [("content_download", 16), ("pricing_page_view", 3), ("demo_request", 1)],
    "content": [("content_download", 1)],
    "email": [("email_click", 7), ("content_download", 3)],
    "referral": [("contact_sales", 5), ("demo_request", 3), ("pricing_page_view", 2)],
    "partner": [("contact_sales", 4), ("demo_request", 3), ("webinar_attended", 1), ("content_download", 2)],
    "organic_search": [("content_download", 9), ("pricing_page_view", 6), ("demo_request", 5)],
    "direct": [("pricing_page_view", 4), ("demo_request", 3), ("contact_sales", 3)],
}
HIGH_INTENT = {"demo_request", "contact_sales"}
# scoring defaults of domain.md section 5: points and cap per event type; fit rules in fit_score()
BEHAVIOUR_POINTS = {"demo_request": (40, 40), "contact_sales": (40, 40), "pricing_page_view": (10, 30),
                    "webinar_attended": (10, 20), "content_download": (5, 15), "email_click": (3, 9),
                    "email_open": (1, 5)}
MQL_THRESHOLD = 60
HALF_LIFE_DAYS = 30.0
ASSETS = ["The revenue team SLA playbook", "State of lead management", "MQL definition worksheet",
          "Lead scoring template", "Pipeline review checklist", "Sales and marketing alignment guide"]
EMAIL_SUBJECTS = ["Your SLA playbook is here", "3 ways to stop losing MQLs", "Invitation: live webinar",
                  "The Handoff: this month in RevOps", "Still thinking about lead routing?",
                  "Case study: 2x MQL-to-SQL in one quarter"]

BANT = {
    "budget": ["Approved: $40-60k this fiscal year", "Budget owner confirmed, up to $120k",
               "Funded from the RevOps tooling line", "Replacing a $30k/yr tool; budget exists"],
    "authority": ["VP Marketing signs; CFO approves over $50k", "CRO is the economic buyer",
                  "Head of RevOps decides with procurement", "Founder signs off directly"],
    "need": ["MQLs go stale: no SLA on follow-up", "No shared funnel numbers between teams",
             "Routing is manual and slow", "Cannot prove which campaigns produce pipeline"],
    "timeline": ["Live before next quarter's planning", "Decision within 30 days",
                 "Pilot this quarter, roll-out next", "Must replace current tool at renewal in 60 days"],
}
REJECTION_NOTES = {
    "wrong_company_size": "Too small for us to serve well.", "wrong_geography": "Outside our served regions.",
    "wrong_title": "Individual contributor, no buying role. Back to nurture.",
    "insufficient_budget": "Interested but no budget this year.",
    "missing_data": "No company or phone; cannot qualify.", "duplicate": "Same person as an existing lead.",
    "not_a_prospect": "Student research project.",
}


# --- plan records -------------------------------------------------------------------------------------------------


@dataclass
class Step:
    at: dt.datetime
    kind: str  # create event promote route assign touch accept reject qualify disqualify recycle convert deal
    actor: str | None = None  # a username; None is the system
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class LeadPlan:
    email: str
    campaign: str | None
    fields: dict[str, Any]
    steps: list[Step]
    scores: tuple[int, int, int] = (0, 0, 0)
    scripted: str = ""  # what a scripted story shows; "" for the others
    via_services: bool = False
    stage: str = ""  # the stage it ends in
    cycles: int = 0  # recycle_count at the end
    owner: str | None = None

    @property
    def created_at(self) -> dt.datetime:
        return self.steps[0].at


@dataclass
class AccountSpec:
    name: str
    short_name: str  # as people type it into a form
    domain: str
    industry: str
    employee_count: int
    country: str
    annual_revenue: int
    owner: str | None = None


@dataclass
class CampaignSpec:
    name: str
    channel: str
    type: str
    cost: int
    starts_on: dt.date
    ends_on: dt.date | None
    expected_volume: int

    def lead_window(self, base: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """When this campaign creates leads: webinars on the day and on demand after, events with the scans
        uploaded over the following days, the rest while it runs."""
        start = dt.datetime.combine(self.starts_on, dt.time(), dt.UTC)
        end = dt.datetime.combine(self.ends_on, dt.time(), dt.UTC) + DAY if self.ends_on else base
        if self.channel == "webinar":
            start, end = end - DAY, end + 10 * DAY
        elif self.channel == "event":
            end += 3 * DAY
        return start, min(end, base)


@dataclass
class DemoPlan:
    seed: int
    base: dt.datetime
    accounts: list[AccountSpec]
    campaigns: list[CampaignSpec]
    leads: list[LeadPlan]
    targets: list[tuple[str | None, dt.date, int]]  # (team or None for the company, quarter start, amount)

    def stage_counts(self) -> dict[str, int]:
        counts = Counter(plan.stage for plan in self.leads)
        return {stage: counts.get(stage, 0) for stage in Stage.values}


# --- scoring (domain.md section 5 defaults; the scoring app will own this) ---------------------------------------


def fit_score(fields: dict[str, Any], free_mail: bool) -> int:
    score = 0
    employees = fields.get("employee_count")
    if employees is not None and 50 <= employees <= 500:
        score += 20
    if fields.get("industry") in TARGET_INDUSTRIES:
        score += 15
    if derive_seniority(fields.get("title", "")) in ("director", "vp", "cxo"):
        score += 15
    if fields.get("country") in SERVED_COUNTRIES:
        score += 10
    if free_mail:
        score -= 10
    if fields.get("title") in STUDENT_TITLES:
        score -= 50
    return score


def behaviour_score(events_seen: Iterable[tuple[dt.datetime, str]], at: dt.datetime) -> int:
    totals: dict[str, float] = {}
    for when, kind in events_seen:
        if when > at:
            continue
        points, _cap = BEHAVIOUR_POINTS[kind]
        age_days = (at - when).total_seconds() / 86400
        totals[kind] = totals.get(kind, 0.0) + points * math.pow(0.5, age_days / HALF_LIFE_DAYS)
    return round(sum(min(total, BEHAVIOUR_POINTS[kind][1]) for kind, total in totals.items()))


# --- building the plan --------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    total = sum(w for _, w in pairs)
    pick = rng.random() * total
    for value, weight in pairs:
        pick -= weight
        if pick < 0:
            return value
    return pairs[-1][0]


def _ascii(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class _Stop(Exception):
    """The story reached today: what has not happened yet is not written."""


@dataclass
class _Profile:
    email: str
    fields: dict[str, Any]
    account: AccountSpec | None
    channel: str
    team: str
    fit: int
    free_mail: bool
    student: bool


# Scripted stories: each guarantees something a visitor must find in the demo. A cycle's keys (all optional;
# what is missing is decided at random): mql score|high_intent|promote; route queue; rep <username>;
# review accept|pending|("reject", code); reassign True; sal qualify|open|("disqualify", code)|("override", code)|
# ("recycle", code); sql convert|open|(...); deal ("won",)|("lost", code)|("open", deal stage); hold True.
# "open" stories end ``ago`` hours before today; the others are over well before.
def _scripts() -> list[dict[str, Any]]:
    rej = [("ic", "paid_social", "score", "wrong_title"), ("tiny", "content", "score", "wrong_company_size"),
           ("unserved", "paid_search", "score", "wrong_geography"), ("smb", "paid_social", "score",
           "insufficient_budget"), ("subscriber", "organic_search", "high_intent", "missing_data"),
           ("midmarket", "event", "score", "duplicate"), ("student", "content", "high_intent", "not_a_prospect")]
    s: list[dict[str, Any]] = [
        {"label": f"rejected: {code}", "seg": seg, "channel": ch, "cycles": [{"mql": via, "review": ("reject", code)}]}
        for seg, ch, via, code in rej
    ]
    for seg, ch, code in [("midmarket", "webinar", "not_interested"), ("smb", "paid_search", "no_budget"),
                          ("enterprise", "content", "no_authority"), ("midmarket", "organic_search", "no_need"),
                          ("smb", "paid_social", "unresponsive")]:
        s.append({"label": f"disqualified: {code}", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": ("disqualify", code)}]})
    s += [
        {"label": "disqualified by a manager override of the touch cadence", "seg": "midmarket", "channel": "content",
         "cycles": [{"review": "accept", "sal": ("override", "unresponsive")}]},
        {"label": "disqualified from SQL: lost_to_competitor", "seg": "enterprise", "channel": "paid_search",
         "cycles": [{"review": "accept", "sal": "qualify", "sql": ("disqualify", "lost_to_competitor")}]},
        {"label": "recycled: bad_timing", "seg": "enterprise", "channel": "webinar",
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")}]},
        {"label": "recycled from SQL: no_budget", "seg": "midmarket", "channel": "event",
         "cycles": [{"review": "accept", "sal": "qualify", "sql": ("recycle", "no_budget")}]},
        {"label": "recycled: not_interested", "seg": "smb", "channel": "email",
         "cycles": [{"review": "accept", "sal": ("recycle", "not_interested")}]},
        {"label": "recycled: unresponsive (cadence met)", "seg": "smb", "channel": "paid_search",
         "cycles": [{"review": "accept", "sal": ("recycle", "unresponsive")}]},
    ]
    for seg, ch, code in [("midmarket", "paid_search", "price"), ("enterprise", "event", "lost_to_competitor"),
                          ("enterprise", "webinar", "no_decision"), ("midmarket", "organic_search", "timing"),
                          ("smb", "content", "product_fit")]:
        s.append({"label": f"deal lost: {code}", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("lost", code)}]})
    for seg, ch, hold in [("enterprise", "referral", False), ("midmarket", "webinar", False),
                          ("smb", "organic_search", False), ("midmarket", "partner", True)]:
        s.append({"label": "deal won", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("won",), "hold": hold}]})
    for seg, stage, ago in [("enterprise", "discovery", 70), ("midmarket", "proposal_development", 120),
                            ("enterprise", "proposal_presented", 50), ("midmarket", "on_hold", 150)]:
        s.append({"label": f"open deal: {stage}", "seg": seg, "channel": "referral", "open": ago,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("open", stage)}]})
    win = {"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("won",)}
    s += [
        {"label": "two cycles: rejected wrong_title, back via score, won", "seg": "midmarket", "channel": "webinar",
         "cycles": [{"mql": "score", "review": ("reject", "wrong_title")}, {"mql": "score", **win}]},
        {"label": "two cycles: recycled bad_timing, back on a demo request, in SAL", "seg": "enterprise",
         "channel": "paid_search", "open": 50,
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")},
                    {"mql": "high_intent", "review": "accept", "sal": "open"}]},
        {"label": "two cycles: deal lost on timing, back, now SQL", "seg": "midmarket", "channel": "organic_search",
         "open": 96, "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("lost", "timing")},
                                {"mql": "score", "review": "accept", "sal": "qualify", "sql": "open"}]},
        {"label": "two cycles: disqualified no_need, back from disqualified on a demo request, open deal",
         "seg": "smb", "channel": "organic_search", "open": 80,
         "cycles": [{"review": "accept", "sal": ("disqualify", "no_need")},
                    {"mql": "high_intent", "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("open", "proposal_development")}]},
        {"label": "three cycles: rejected, recycled, won", "seg": "midmarket", "channel": "webinar",
         "cycles": [{"mql": "score", "review": ("reject", "insufficient_budget")},
                    {"mql": "score", "review": "accept", "sal": ("recycle", "no_budget")},
                    {"mql": "high_intent", **win}]},
        {"label": "three cycles: recycled, deal lost, back as an MQL awaiting review", "seg": "enterprise",
         "channel": "referral", "open": 10,
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")},
                    {"mql": "score", "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("lost", "no_decision")},
                    {"mql": "score", "review": "pending"}]},
        {"label": "three cycles: rejected missing_data, disqualified, won", "seg": "smb", "channel": "organic_search",
         "cycles": [{"mql": "high_intent", "review": ("reject", "missing_data")},
                    {"mql": "high_intent", "review": "accept", "sal": ("disqualify", "not_interested")},
                    {"mql": "high_intent", **win}]},
        {"label": "two cycles: recycled, promoted by marketing ops, won", "seg": "enterprise", "channel": "event",
         "cycles": [{"review": "accept", "sal": ("recycle", "not_interested")}, {"mql": "promote", **win}]},
        {"label": "promoted to MQL by marketing ops after an event, deal lost on price", "seg": "midmarket",
         "channel": "event", "cycles": [{"mql": "promote", "review": "accept", "sal": "qualify", "sql": "convert",
                                          "deal": ("lost", "price")}]},
        {"label": "reassigned by the manager, won", "seg": "midmarket", "channel": "paid_search",
         "cycles": [{"reassign": True, **win}]},
        {"label": "reassigned by the manager, in SAL", "seg": "enterprise", "channel": "organic_search", "open": 70,
         "cycles": [{"review": "accept", "reassign": True, "sal": "open"}]},
    ]
    for seg, via, ago in [("enterprise", "high_intent", 3), ("midmarket", "high_intent", 20), ("smb", "score", 26),
                          ("smb", "high_intent", 6), ("enterprise", "score", 46)]:
        s.append({"label": "MQL waiting in the team queue", "seg": seg, "channel": "organic_search", "open": ago,
                  "cycles": [{"mql": via, "route": "queue", "review": "pending"}]})
    for seg, via, ago in [("enterprise", "high_intent", 5), ("smb", "high_intent", 1), ("midmarket", "score", 9)]:
        s.append({"label": "routed MQL awaiting review", "seg": seg, "channel": "paid_search", "open": ago,
                  "cycles": [{"mql": via, "review": "pending"}]})
    r: dict[str, Any] = {"rep": "riley"}
    s += [
        {"label": "riley: high-intent MQL", "seg": "riley", "channel": "paid_search", "open": 2,
         "cycles": [{**r, "mql": "high_intent", "review": "pending"}]},
        {"label": "riley: MQL, first call made", "seg": "riley", "channel": "webinar", "open": 18,
         "cycles": [{**r, "mql": "score", "touch": True, "review": "pending"}]},
        *[{"label": "riley: SAL", "seg": "riley", "channel": ch, "open": ago,
           "cycles": [{**r, "review": "accept", "sal": "open"}]}
          for ch, ago in [("organic_search", 26), ("webinar", 70), ("referral", 140), ("paid_search", 215)]],
        *[{"label": "riley: SQL", "seg": "riley", "channel": ch, "open": ago,
           "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "open"}]}
          for ch, ago in [("partner", 40), ("organic_search", 120), ("event", 290)]],
        {"label": "riley: open deal", "seg": "riley", "channel": "referral", "open": 96,
         "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "convert", "deal": ("open", "discovery")}]},
        {"label": "riley: open deal", "seg": "riley", "channel": "webinar", "open": 190,
         "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("open", "proposal_presented")}]},
        {"label": "riley: won", "seg": "riley", "channel": "partner", "cycles": [{**r, **win}]},
        {"label": "riley: recycled", "seg": "riley", "channel": "paid_social",
         "cycles": [{**r, "review": "accept", "sal": ("recycle", "bad_timing")}]},
    ]
    return s


class _Gen:
    def __init__(self, seed: int, base: dt.datetime):
        self.rng = random.Random(seed)
        self.base = base
        self.emails: set[str] = set()
        self.accounts = self._accounts()
        self.campaigns = self._campaigns()
        self.reasons = {(kind, code): (target, cadence) for kind, code, _, target, cadence, _ in DISPOSITIONS}
        self.channel_counts = {code: counts for code, _, counts in TOUCH_CHANNELS}
        self.outcome_counts = {code: (counts, connect) for code, _, counts, connect in TOUCH_OUTCOMES}
        self.reps = {team: [p for p in PEOPLE if p.is_rep and p.team == team] for team in (ENTERPRISE, MIDMARKET, SDR)}
        self.manager_of = {name: manager for name, _, manager, _ in TEAMS}
        self.left = {rep: base - days * DAY for rep, days in DEPARTED.items()}
        self.leave = {rep: [(start, end) for start, end, _ in leave_ranges(base, rep)] for rep in ON_LEAVE}
        self.won: list[tuple[dt.date, str, int]] = []

    # -- the organisation's surroundings

    def _accounts(self) -> list[AccountSpec]:
        rng = self.rng
        accounts: list[AccountSpec] = []
        seen: set[str] = set()
        sizes = [((5, 19), 8), ((20, 49), 12), ((50, 99), 14), ((100, 499), 30), ((500, 999), 12),
                 ((1000, 4999), 16), ((5000, 40000), 8)]
        while len(accounts) < 300:
            stem, (word, industry) = rng.choice(COMPANY_STEMS), rng.choice(COMPANY_WORDS)
            country = _weighted(rng, [(c, w) for c, w, _, _ in COUNTRIES])
            tld = "io" if industry == "Software" and rng.random() < 0.4 else COUNTRY_TLD[country]
            domain = f"{_ascii(stem + word)}.{tld}"
            if domain in seen or any(a.name.startswith(f"{stem} {word}") for a in accounts):
                continue
            seen.add(domain)
            low, high = _weighted(rng, sizes)
            employees = int(math.exp(rng.uniform(math.log(low), math.log(high))))
            revenue = round(employees * rng.uniform(90_000, 320_000), -5)
            accounts.append(AccountSpec(f"{stem} {word} {LEGAL_FORM[country]}", f"{stem} {word}", domain, industry,
                                        employees, country, int(revenue)))
        # account owners: most enterprise accounts (by region), some mid-market ones
        region_rep = {"US": "priya", "CA": "priya", "BR": "priya", "GB": "oliver", "IE": "oliver", "DE": "oliver",
                      "FR": "oliver", "NL": "oliver", "SE": "oliver", "ES": "oliver", "ZA": "oliver", "SG": "mei",
                      "JP": "mei", "IN": "mei", "AU": "jack", "NZ": "jack"}
        mid_reps = ["riley", "marcus", "sofia", "hannah"]
        for account in accounts:
            if account.country not in SERVED_COUNTRIES:
                continue
            if account.employee_count >= 1000 and rng.random() < 0.55:
                account.owner = region_rep[account.country]
            elif 100 <= account.employee_count < 1000 and rng.random() < 0.15:
                account.owner = rng.choice(mid_reps)
        return accounts

    def _campaigns(self) -> list[CampaignSpec]:
        today = self.base.date()
        return [
            CampaignSpec(name, channel, kind, cost, today - dt.timedelta(days=start),
                         None if end is None else today - dt.timedelta(days=end), volume)
            for name, channel, kind, start, end, cost, volume in CAMPAIGNS
        ]

    # -- people and companies

    def _name(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def _email(self, local: str, domain: str) -> str:
        candidate, n = f"{local}@{domain}", 1
        while candidate.lower() in self.emails:
            n += 1
            candidate = f"{local}{n}@{domain}"
        self.emails.add(candidate.lower())
        return candidate

    def _phone(self, country: str) -> str:
        rng = self.rng
        return f"{COUNTRY_PHONE.get(country, '+1')} {rng.randint(200, 989)} {rng.randint(100, 999)} " \
               f"{rng.randint(1000, 9999)}"

    def _pick_account(self, seg: str | None) -> AccountSpec:
        tests: dict[str, Callable[[AccountSpec], bool]] = {
            "enterprise": lambda a: a.employee_count >= 1000 and a.country in SERVED_COUNTRIES,
            "midmarket": lambda a: 100 <= a.employee_count < 1000 and a.country in SERVED_COUNTRIES,
            "riley": lambda a: 100 <= a.employee_count < 1000 and a.country in SERVED_COUNTRIES
            and a.owner in (None, "riley"),
            "smb": lambda a: 20 <= a.employee_count < 100 and a.country in SERVED_COUNTRIES,
            "tiny": lambda a: a.employee_count < 20 and a.country in SERVED_COUNTRIES,
            "unserved": lambda a: a.country not in SERVED_COUNTRIES,
            "ic": lambda a: a.country in SERVED_COUNTRIES,
        }
        test = tests.get(seg or "", lambda a: True)
        return self.rng.choice([a for a in self.accounts if test(a)])

    def profile(self, seg: str | None, channel: str) -> _Profile:
        rng = self.rng
        first, last = self._name()
        free = seg in ("subscriber", "student") or (seg is None and rng.random() < 0.26)
        fields: dict[str, Any] = {"first_name": first, "last_name": last}
        account = None
        student = False
        if free:
            country = _weighted(rng, [(c, w) for c, w, _, _ in COUNTRIES])
            first_, last_ = _ascii(first), _ascii(last)
            local = rng.choice([f"{first_}.{last_}", f"{first_}{last_[:1]}{rng.randint(1, 99)}",
                                f"{first_[:1]}{last_}{rng.randint(70, 99)}"])
            email = self._email(local, rng.choice(FREE_MAIL))
            kind = seg or _weighted(rng, [("subscriber", 50), ("freelancer", 22), ("student", 10), ("company", 18)])
            fields["country"] = country if rng.random() < 0.7 or kind != "subscriber" else ""
            if kind == "subscriber":
                fields["first_name"] = first if rng.random() < 0.6 else ""
                fields["last_name"] = last if fields["first_name"] and rng.random() < 0.8 else ""
            elif kind == "student":
                fields["title"] = rng.choice(STUDENT_TITLES)
                student = True
            elif kind == "freelancer":
                fields["title"] = rng.choice(["Consultant", "Freelance Marketing Consultant", "Founder",
                                              "Independent Advisor"])
            else:
                fields["company_name"] = f"{rng.choice(COMPANY_STEMS)} {rng.choice(['Studio', 'Consulting', 'Co'])}"
                fields["title"] = rng.choice(TITLES[_weighted(rng, SENIORITY_WEIGHTS)])
            if kind != "subscriber" and rng.random() < 0.5:
                fields["phone"] = self._phone(country)
        else:
            account = self._pick_account(seg)
            if seg == "ic":
                level = "individual"
            elif seg in ("enterprise", "midmarket", "smb", "riley"):
                level = _weighted(rng, [("cxo", 2), ("vp", 4), ("director", 5), ("manager", 4)])
            else:
                level = _weighted(rng, SENIORITY_WEIGHTS)
            fields.update({"title": rng.choice(TITLES[level]), "company_name": account.short_name,
                           "company_domain": account.domain, "employee_count": account.employee_count,
                           "industry": account.industry, "country": account.country})
            style = rng.random()
            local = (f"{_ascii(first)}.{_ascii(last)}" if style < 0.6 else f"{_ascii(first)[:1]}{_ascii(last)}"
                     if style < 0.85 else _ascii(first))
            email = self._email(local, account.domain)
            if rng.random() < 0.8:
                fields["phone"] = self._phone(account.country)
            if account.owner and rng.random() < 0.15:
                fields["lead_type"] = "existing_customer"
        if channel == "partner" and rng.random() < 0.1:
            fields["lead_type"] = "partner"
        employees = fields.get("employee_count")
        team = ENTERPRISE if employees and employees >= 1000 else MIDMARKET if employees and employees >= 100 else SDR
        return _Profile(email, fields, account, channel, team, fit_score(fields, free), free, student)

    # -- time

    def work_time(self, at: dt.datetime, username: str) -> dt.datetime:
        """The next moment inside the person's working day (08:00-18:00 at their standard UTC offset)."""
        offset = PEOPLE_BY_NAME[username].offset
        local = at + offset
        if 8 <= local.hour < 18:
            return at
        day = local.date() if local.hour < 8 else local.date() + dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(8), dt.UTC) + self.rng.randint(0, 100) * MINUTE
        return start - offset

    def on_leave(self, username: str, at: dt.datetime) -> dt.datetime | None:
        """When the person is back, if they are on leave at ``at``."""
        for start, end in self.leave.get(username, []):
            if start <= at < end:
                return end
        return None

    def available(self, username: str, at: dt.datetime) -> str | None:
        """Why the rep cannot take a lead at ``at`` (a routing skip reason), or None: they can."""
        if username in self.left and at >= self.left[username]:
            return "inactive"
        if self.on_leave(username, at):
            return "out_of_office"
        return None

    def candidate(self, username: str, at: dt.datetime, *, via: str, skipped: str | None = None,
                  chosen: bool = False) -> dict[str, Any]:
        """A ledger candidate by username (``ledger_candidates`` adds ids, weights and local time on writing)."""
        entry: dict[str, Any] = {"username": username, "via": via, "skipped": skipped, "chosen": chosen}
        back = self.on_leave(username, at)
        if back is not None:
            entry["away_until"] = back.isoformat()
        return entry

    # -- routing (what the routing app's weighted round robin decides)

    def route(self, prof: _Profile, at: dt.datetime, *, forced: str | None, queue: bool,
              reliable: bool) -> dict[str, Any]:
        team = prof.team
        rule = {ENTERPRISE: "Enterprise: 1,000+ employees", MIDMARKET: "Mid-market: 100-999 employees",
                SDR: "SMB and unknown size: SDR team"}[team]
        candidates: list[dict[str, Any]] = []
        owner = prof.account.owner if prof.account else None
        if owner and not queue and not forced:
            why = self.available(owner, at)
            if why is None and not (reliable and owner == "hannah"):
                return {"rep": owner, "team": team, "method": AssignmentMethod.ACCOUNT_MATCH, "rule": "",
                        "candidates": [self.candidate(owner, at, via="account_owner", chosen=True)]}
            if why:
                candidates.append(self.candidate(owner, at, via="account_owner", skipped=why))
        eligible: list[tuple[str, float]] = []
        for person in self.reps[team]:
            why = self.available(person.username, at)
            if why is None and queue:
                why = "at_capacity"
            candidates.append(self.candidate(person.username, at, via="team", skipped=why))
            if why is None and (not reliable or person.username not in ("hannah", *DEPARTED)):
                eligible.append((person.username, person.weight))
        if queue or (not eligible and not forced):
            return {"rep": None, "team": team, "method": AssignmentMethod.QUEUE, "rule": rule, "candidates": candidates}
        chosen = forced or _weighted(self.rng, eligible)
        for candidate in candidates:
            if candidate["username"] == chosen and candidate["via"] == "team":
                candidate["chosen"] = True
        return {"rep": chosen, "team": team, "method": AssignmentMethod.ROUND_ROBIN, "rule": rule,
                "candidates": candidates}

    def pick_rep(self, team: str, at: dt.datetime, *, besides: str | None = None) -> str:
        pool = [(p.username, p.weight) for p in self.reps[team]
                if p.username != besides and p.username not in ("hannah", *DEPARTED) and self.available(p.username, at)
                is None]
        return str(_weighted(self.rng, pool))

    # -- campaigns

    def campaign_at(self, channel: str, at: dt.datetime) -> CampaignSpec | None:
        live = [c for c in self.campaigns if c.channel == channel and c.lead_window(self.base)[0] <= at
                <= c.lead_window(self.base)[1] + DAY]
        return self.rng.choice(live) if live else None

    def event_campaign(self, kind: str, at: dt.datetime) -> CampaignSpec | None:
        channel = {"email_open": "email", "email_click": "email", "webinar_attended": "webinar",
                   "content_download": "content"}.get(kind)
        return self.campaign_at(channel, at) if channel else None


class _Story:
    """One lead's life, decided step by step forward in time from ``t0``; stops at ``base``."""

    def __init__(self, g: _Gen, prof: _Profile, script: dict[str, Any] | None, t0: dt.datetime,
                 campaign: CampaignSpec | None = None):
        self.g, self.rng, self.prof, self.script = g, g.rng, prof, script
        self.quality = QUALITY[prof.channel]
        self.t0 = t0
        self.steps: list[Step] = []
        self.last = t0 - SECOND
        self.stage = Stage.SUBSCRIBER
        self.owner: str | None = None
        self.team: str | None = None
        self.cycle = 0
        self.attempts = 0
        self.mql_at = t0
        self.events: list[tuple[dt.datetime, str]] = []
        self.campaign = campaign
        self.deal_open = False
        self.close_date: dt.date | None = None
        self.amount = 0
        self.truncated = False
        self.won: list[tuple[dt.date, str, int]] = []

    # -- writing steps

    def add(self, at: dt.datetime, kind: str, actor: str | None = None, **args: Any) -> dt.datetime:
        at = max(at, self.last + SECOND).replace(microsecond=0)
        departed = self.g.left.get(self.owner or "")
        if departed is not None and at >= departed and self.stage not in NOT_ASSIGNABLE and self.stage not in (
                Stage.SUBSCRIBER, Stage.LEAD) and kind != "assign":
            self.handover(departed)
            at = max(at, self.last + SECOND)
        if actor == "@owner":
            actor = self.owner
        if actor in PEOPLE_BY_NAME and PEOPLE_BY_NAME[actor].role != Role.INTEGRATOR:
            back = self.g.on_leave(actor, at)
            at = self.g.work_time(back or at, actor)
        if at > self.g.base:
            raise _Stop
        self.steps.append(Step(at, kind, actor, args))
        self.last = at
        return at

    def handover(self, departed: dt.datetime) -> None:
        assert self.team is not None
        at = max(departed + self.rng.randint(60, 600) * MINUTE, self.last + MINUTE)
        rep = self.g.pick_rep(self.team, at, besides=self.owner)
        self.add(at, "assign", self.g.manager_of[self.team], rep=rep,
                 note=f"{PEOPLE_BY_NAME[self.owner or ''].first_name} moved to partner management: rebalancing.")
        self.owner = rep

    def event(self, at: dt.datetime, kind: str, campaign: CampaignSpec | None = None) -> dt.datetime:
        props: dict[str, Any] = {}
        source = "website"
        if kind == "pricing_page_view":
            props = {"page": "/pricing", "seconds_on_page": self.rng.randint(20, 240)}
        elif kind == "demo_request":
            props = {"form": "Book a demo", "page": "/demo"}
        elif kind == "contact_sales":
            props = {"form": "Contact sales", "page": "/contact"}
        elif kind == "content_download":
            props = {"asset": campaign.name.split(": ", 1)[-1] if campaign and campaign.channel == "content"
                     else self.rng.choice(ASSETS)}
        elif kind == "webinar_attended":
            source = "webinar_platform"
            props = {"webinar": campaign.name if campaign else "On-demand webinar",
                     "minutes": self.rng.randint(12, 58)}
        elif kind in ("email_open", "email_click"):
            source = "marketing_automation"
            props = {"subject": self.rng.choice(EMAIL_SUBJECTS)}
        if campaign is not None and campaign.channel == "event":
            source = "event_app"
        at = self.add(at, "event", None, type=kind, campaign=campaign.name if campaign else None, source=source,
                      properties=props)
        self.events.append((at, kind))
        return at

    def score_at(self, at: dt.datetime) -> int:
        return self.prof.fit + behaviour_score(self.events, at)

    def touch(self, at: dt.datetime, channel: str, outcome: str, note: str = "") -> dt.datetime:
        at = self.add(at, "touch", "@owner", channel=channel, outcome=outcome, note=note)
        if self.g.channel_counts[channel] and self.g.outcome_counts[outcome][0]:
            self.attempts += 1
        return at

    def move(self, at: dt.datetime, kind: str, target: str, actor: str | None, **args: Any) -> dt.datetime:
        at = self.add(at, kind, actor, **args)
        if target == Stage.MQL and self.stage in (Stage.NURTURE, Stage.DISQUALIFIED):
            self.cycle += 1
            self.attempts = 0
            self.owner = self.team = None
        if target == Stage.MQL:
            self.mql_at = at
        self.stage = Stage(target)
        return at

    # -- the story

    def spec(self, cycle: int) -> dict[str, Any] | None:
        if self.script is not None:
            cycles = self.script["cycles"]
            return cycles[cycle] if cycle < len(cycles) else None
        if cycle == 0:
            return {}
        if cycle >= 3 or self.stage == Stage.CUSTOMER:
            return None
        chance = 0.16 + 0.12 * self.quality if self.stage == Stage.NURTURE else 0.05
        return {} if self.rng.random() < chance else None

    def run(self) -> None:
        try:
            self.create()
            cycle = 0
            while (c := self.spec(cycle)) is not None:
                if not self.become_mql(cycle, c):
                    break
                self.route(c)
                verdict = self.review(c)
                if verdict == "pending":
                    break
                if verdict == "accept" and not self.work(c):
                    break
                cycle += 1
        except _Stop:
            self.truncated = True
        self.finish()

    def create(self) -> None:
        rng, prof = self.rng, self.prof
        if self.campaign is None and self.script is not None and prof.channel != "direct":
            self.campaign = self.g.campaign_at(prof.channel, self.t0)
        fields = dict(prof.fields)
        if self.campaign is None:
            fields["source"] = prof.channel
        self.add(self.t0, "create", None, email=prof.email, campaign=self.campaign.name if self.campaign else None,
                 fields=fields)
        known = bool(fields.get("company_name") or fields.get("title") or prof.account)
        self.stage = Stage.LEAD if known else Stage.SUBSCRIBER
        choices = FIRST_EVENT[prof.channel]
        via = (self.script or {"cycles": [{}]})["cycles"][0].get("mql")
        if via in ("score", "promote"):
            choices = [(k, w) for k, w in choices if k not in HIGH_INTENT] or [("content_download", 1)]
        elif via == "high_intent" and rng.random() < 0.6:
            choices = [(k, w) for k, w in choices if k in HIGH_INTENT] or [("demo_request", 1)]
        kind = _weighted(rng, choices)
        self.event(self.t0 + rng.randint(0, 40) * SECOND, kind, self.campaign)

    def light_events(self, start: dt.datetime, count: int) -> dt.datetime:
        """Low-intent activity that does not cross the MQL threshold (skipped if it would)."""
        at = start
        for _ in range(count):
            at = at + self.rng.uniform(2, 25) * DAY
            kind = _weighted(self.rng, [("email_open", 6), ("email_click", 2), ("content_download", 1)])
            if at > self.g.base:
                return at
            if self.prof.fit + behaviour_score([*self.events, (at, kind)], at) >= MQL_THRESHOLD:
                continue
            at = self.event(at, kind, self.g.event_campaign(kind, at))
        return at

    def become_mql(self, cycle: int, c: dict[str, Any]) -> bool:
        rng = self.rng
        via = c.get("mql")
        at = self.last
        if cycle == 0 and self.events and self.events[0][1] in HIGH_INTENT:
            self.move(at + 2 * SECOND, "promote", Stage.MQL, None, to=Stage.MQL, trigger="high_intent_event")
            return True
        if cycle == 0 and self.score_at(at) >= MQL_THRESHOLD:  # a perfect fit crosses on its first event
            self.move(at + 2 * SECOND, "promote", Stage.MQL, None, to=Stage.MQL, trigger="score")
            return True
        if cycle > 0:
            at += rng.uniform(20, 60 if self.script else 140) * DAY
        if via is None:
            if cycle == 0 and self.script is None:
                engage = 0.08 + 0.32 * self.quality + self.prof.fit / 300
                if self.prof.free_mail and not self.prof.fields.get("title"):
                    engage *= 0.35
                if rng.random() >= engage:
                    self.light_events(at, rng.randint(0, 4))
                    return False
            if self.stage == Stage.DISQUALIFIED:
                via = "high_intent"
            else:
                via = _weighted(rng, [("score", 78), ("high_intent", 15),
                                      ("promote", 30 if self.prof.channel == "event" else 7)])
        if via == "score":
            for _ in range(30):
                at += rng.uniform(0.3, 3 if self.script else 7) * DAY
                kind = _weighted(rng, [("pricing_page_view", 4), ("webinar_attended", 1), ("content_download", 3),
                                       ("email_click", 3), ("email_open", 3)])
                at = self.event(at, kind, self.g.event_campaign(kind, at))
                if self.score_at(at) >= MQL_THRESHOLD:
                    self.move(at + 2 * SECOND, "promote", Stage.MQL, None, to=Stage.MQL, trigger="score")
                    return True
            via = "high_intent"  # never crossed: the lead asks for a demo instead
        for _ in range(rng.randint(0, 2)):
            at += rng.uniform(0.5, 4) * DAY
            kind = _weighted(rng, [("email_open", 3), ("content_download", 1)])
            if self.prof.fit + behaviour_score([*self.events, (at, kind)], at) < MQL_THRESHOLD:
                at = self.event(at, kind, self.g.event_campaign(kind, at))
        if via == "promote":
            at = self.move(at + rng.uniform(1, 6) * DAY, "promote", Stage.MQL, "maya", to=Stage.MQL, trigger="",
                           note="Hot list from the event team")
            return True
        at = self.event(at + rng.uniform(0.5, 5) * DAY, rng.choice(["demo_request", "demo_request", "contact_sales"]))
        self.move(at + 2 * SECOND, "promote", Stage.MQL, None, to=Stage.MQL, trigger="high_intent_event")
        return True

    def route(self, c: dict[str, Any]) -> None:
        at = self.last + self.rng.randint(3, 150) * SECOND
        queue = c.get("route") == "queue" or (self.script is None and self.rng.random() < 0.06)
        decision = self.g.route(self.prof, at, forced=c.get("rep"), queue=queue, reliable=self.script is not None)
        self.add(at, "route", None, **decision)
        self.owner, self.team = decision["rep"], decision["team"]
        if self.owner and (c.get("touch") or (self.script is None and self.rng.random() < 0.5)):
            self.touch(self.last + self.rng.uniform(0.2, 10) * HOUR, *self.first_touch())

    def first_touch(self) -> tuple[str, str, str]:
        return _weighted(self.rng, [(("call", "attempted", "No answer"), 3),
                                    (("call", "voicemail", "Left voicemail"), 3),
                                    (("email", "attempted", "Intro email sent"), 4),
                                    (("call", "connected", "Quick intro call; wants a demo"), 2)])

    def review(self, c: dict[str, Any]) -> str:
        rng = self.rng
        verdict = c.get("review")
        if verdict is None:
            accept = 0.42 + 0.45 * self.quality + self.prof.fit / 250
            if self.prof.student or (self.prof.free_mail and not self.prof.fields.get("title")):
                accept = 0.12
            verdict = "accept" if rng.random() < accept else ("reject", self.rejection_reason())
            if self.stalls(0.05, (14 if self.owner is None else 45) * DAY):
                verdict = "pending"
        if verdict == "pending":
            return "pending"
        assert self.team is not None
        manager = self.g.manager_of[self.team]
        at = max(self.mql_at + rng.uniform(0.6, 40) * HOUR, self.last + 5 * MINUTE)
        if verdict == "accept":
            if self.owner is None:
                rep = self.g.pick_rep(self.team, at)
                at = self.add(at, "assign", manager, rep=rep, note="Picked from the team queue.")
                self.owner = rep
            self.move(at + rng.randint(1, 20) * MINUTE, "accept", Stage.SAL, manager, owner=None, note="")
            return "accept"
        code = verdict[1]
        target = self.g.reasons[("rejection", code)][0]
        self.move(at, "reject", target, manager, reason=code, note=REJECTION_NOTES.get(code, ""))
        return "reject"

    def rejection_reason(self) -> str:
        f, prof = self.prof.fields, self.prof
        weights = {"duplicate": 1.0, "insufficient_budget": 2.0, "wrong_title": 1.0, "missing_data": 0.5,
                   "wrong_company_size": 0.5, "wrong_geography": 0.2, "not_a_prospect": 0.3}
        if prof.student:
            weights["not_a_prospect"] = 12
        if not f.get("company_name"):
            weights["missing_data"] = 6
        if f.get("country") and f["country"] not in SERVED_COUNTRIES:
            weights["wrong_geography"] = 10
        if (f.get("employee_count") or 999) < 20:
            weights["wrong_company_size"] = 8
        if derive_seniority(f.get("title", "")) == "individual":
            weights["wrong_title"] = 6
        return str(_weighted(self.rng, list(weights.items())))

    def attempts_until(self, at: dt.datetime, wanted: int, spacing: tuple[float, float]) -> dt.datetime:
        while self.attempts < wanted:
            at = self.touch(at + self.rng.uniform(*spacing) * DAY, *_weighted(self.rng, [
                (("call", "attempted", ""), 4), (("call", "voicemail", "Left voicemail"), 3),
                (("email", "attempted", "Follow-up email"), 4), (("linkedin", "attempted", "Connection request"), 1),
            ]))
        return at

    def connect(self, at: dt.datetime) -> dt.datetime:
        return self.touch(at + self.rng.uniform(0.3, 3) * DAY, *_weighted(self.rng, [
            (("call", "connected", "Discovery call: 25 min"), 4), (("email", "replied", "Replied, call booked"), 2),
            (("meeting", "meeting_booked", "Demo booked"), 3),
        ]))

    def work(self, c: dict[str, Any]) -> bool:
        """SAL onwards. True when the cycle ended in nurture or disqualified (another cycle may follow)."""
        rng = self.rng
        assert self.team is not None
        manager = self.g.manager_of[self.team]
        at = self.last
        if c.get("reassign") or (self.script is None and rng.random() < 0.03):
            at = self.add(at + rng.uniform(4, 40) * HOUR, "assign", manager, rep=self.g.pick_rep(
                self.team, at, besides=self.owner), note="Rebalancing: workload over capacity.")
            self.owner = self.steps[-1].args["rep"]
        outcome: Any = c.get("sal") or ("open" if self.stalls(0.07) else self.sal_outcome())
        if outcome == "open":
            for _ in range(rng.randint(1, 3)):
                at = self.touch(at + rng.uniform(0.3, 2) * DAY, *self.first_touch())
            return False
        if outcome == "qualify":
            at = self.attempts_until(at, self.attempts + rng.randint(0, 2), (0.3, 2.5))
            at = self.connect(at)
            at = self.move(at + rng.uniform(0.5, 6) * DAY, "qualify", Stage.SQL, "@owner",
                           bant={k: rng.choice(v) for k, v in BANT.items()})
            return self.sql(c)
        action, code = outcome
        cadence = self.g.reasons[("recycle" if action == "recycle" else "disqualification", code)][1]
        if action == "override":
            at = self.attempts_until(at, self.attempts + 2, (0.5, 2))
            self.move(at + rng.uniform(2, 6) * DAY, "disqualify", Stage.DISQUALIFIED, manager, reason=code,
                      override=True, note="Phone number invalid, emails bounce: closing out.")
            return True
        if cadence:
            at = self.attempts_until(at, DEFAULT_CADENCE_ATTEMPTS, (0.8, 2.0))
        else:
            at = self.attempts_until(at, self.attempts + rng.randint(0, 2), (0.3, 2.5))
            at = self.connect(at)
        if action == "recycle":
            self.move(at + rng.uniform(0.1, 3) * DAY, "recycle", Stage.NURTURE, "@owner", reason=code,
                      note={"bad_timing": "Revisit next quarter.", "no_budget": "No budget until next fiscal year."}
                      .get(code, ""))
        else:
            self.move(at + rng.uniform(0.1, 3) * DAY, "disqualify", Stage.DISQUALIFIED, "@owner", reason=code,
                      override=False, note="")
        return True

    def stalls(self, chance: float, window: dt.timedelta = STALL_WINDOW) -> bool:
        """Does a random story stop here, undone (an aging lead)? Only for work of the last weeks or months."""
        return self.script is None and self.g.base - self.last < window and self.rng.random() < chance

    def sal_outcome(self) -> Any:
        rng = self.rng
        roll = rng.random()
        if roll < 0.3 + 0.35 * self.quality:
            return "qualify"
        if roll < 0.55 + 0.3 * self.quality:
            return ("recycle", _weighted(rng, [("bad_timing", 45), ("no_budget", 25), ("not_interested", 20),
                                               ("unresponsive", 10)]))
        code = _weighted(rng, [("unresponsive", 30), ("not_interested", 20), ("no_need", 15), ("no_budget", 15),
                               ("no_authority", 10), ("lost_to_competitor", 10)])
        if code == "unresponsive" and rng.random() < 0.08:
            return ("override", code)
        return ("disqualify", code)

    def sql(self, c: dict[str, Any]) -> bool:
        rng = self.rng
        at = self.touch(self.last + rng.uniform(0.5, 6) * DAY, "meeting", "connected", "Discovery meeting")
        outcome: Any = c.get("sql")
        if outcome is None and self.stalls(0.08):
            outcome = "open"
        if outcome is None:
            roll = rng.random()
            outcome = ("convert" if roll < 0.62 + 0.2 * self.quality else
                       ("recycle", rng.choice(["bad_timing", "no_budget"])) if roll < 0.9 else
                       ("disqualify", rng.choice(["no_budget", "no_authority", "lost_to_competitor", "no_need"])))
        if outcome == "open":
            return False
        if outcome != "convert":
            action, code = outcome
            to = Stage.NURTURE if action == "recycle" else Stage.DISQUALIFIED
            self.move(at + rng.uniform(1, 10) * DAY, action, to, "@owner", reason=code, note="",
                      **({"override": False} if action == "disqualify" else {}))
            return True
        low, high = {ENTERPRISE: (45_000, 300_000), MIDMARKET: (12_000, 75_000), SDR: (3_000, 18_000)}[
            self.team or SDR]
        self.amount = int(round(math.exp(rng.uniform(math.log(low), math.log(high))), -2))
        at = self.last + rng.uniform(2, 14) * DAY
        self.close_date = (at + rng.randint(30, 120 if self.team == ENTERPRISE else 75) * DAY).date()
        seats = max(5, self.amount // 900)
        plan = "Enterprise" if self.amount >= 60_000 else "Business" if self.amount >= 15_000 else "Growth"
        company = self.prof.fields.get("company_name") or self.prof.fields.get("last_name") or "New logo"
        at = self.move(at, "convert", Stage.OPPORTUNITY, "@owner", amount=self.amount, close_date=self.close_date,
                       name=f"{company} - {plan} plan, {seats} seats")
        self.deal_open = True
        return self.deal(c)

    def deal(self, c: dict[str, Any]) -> bool:
        rng = self.rng
        slow = 1.5 if self.team == ENTERPRISE else 1.0
        spec: Any = c.get("deal")
        if spec is None:
            if rng.random() < 0.12 + 0.3 * self.quality:
                spec = ("won",)
            else:
                spec = ("lost", _weighted(rng, [("price", 30), ("lost_to_competitor", 25), ("no_decision", 25),
                                                 ("timing", 15), ("product_fit", 5)]))
        if spec[0] != "open" and self.stalls(0.08):
            spec = ("open", _weighted(rng, [("discovery", 2), ("proposal_development", 2), ("proposal_presented", 3),
                                            ("on_hold", 1)]))
        path = ["proposal_development", "proposal_presented"]
        if c.get("hold") or (spec[0] == "open" and spec[1] == "on_hold") or (
                self.script is None and rng.random() < 0.12):
            path += ["on_hold"] + (["proposal_presented"] if spec != ("open", "on_hold") else [])
        if spec[0] == "open":
            path = path[: path.index(spec[1]) + 1] if spec[1] in path else []
        elif spec[0] == "lost":
            path = path[: _weighted(rng, [(0, 3), (1, 3), (2, 4)])]
        at = self.last
        for stage in path:
            at += rng.uniform(5, 20) * slow * DAY
            if stage == "proposal_presented" and rng.random() < 0.5:
                at = self.touch(at - DAY, "meeting", "connected", "Proposal walkthrough")
            amount = None
            if stage == "proposal_presented" and rng.random() < 0.35:
                amount = int(round(self.amount * rng.uniform(0.85, 1.15), -2))
                self.amount = amount
            at = self.add(at, "deal", None, deal_stage=stage, amount=amount, close_date=None, lost_reason=None)
        if spec[0] == "open":
            return False
        at = self.last + rng.uniform(5, 25) * slow * DAY
        if spec[0] == "won":
            at = self.add(at, "deal", None, deal_stage=DealStage.CLOSED_WON, close_date=at.date(), amount=None,
                          lost_reason=None)
            self.stage = Stage.CUSTOMER
            self.won.append((at.date(), self.team or SDR, self.amount))
            self.deal_open = False
            return False
        code = spec[1]
        self.add(at, "deal", None, deal_stage=DealStage.CLOSED_LOST, lost_reason=code, close_date=at.date(),
                 amount=None)
        self.stage = Stage(self.g.reasons[("closed_lost", code)][0])
        self.deal_open = False
        return True

    def finish(self) -> None:
        """Loose ends at today: a departed rep's open lead is handed over; an open deal's past close date slips."""
        try:
            departed = self.g.left.get(self.owner or "")
            if departed is not None and departed <= self.g.base and self.stage in (
                    Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY):
                self.handover(departed)
            if self.deal_open and self.close_date is not None and self.close_date < self.g.base.date():
                at = max(self.last + HOUR, self.g.base - self.rng.uniform(0.2, 4) * DAY)
                new_date = self.g.base.date() + dt.timedelta(days=self.rng.randint(10, 75))
                self.add(at, "deal", None, deal_stage=None, close_date=new_date, amount=None, lost_reason=None)
                self.close_date = new_date
        except _Stop:
            pass


def _random_t0(g: _Gen) -> tuple[str, CampaignSpec | None, dt.datetime]:
    """A channel and a creation moment: campaigns by their expected volume over their lead window."""
    rng = g.rng
    pairs: list[tuple[Any, float]] = [(c, float(c.expected_volume)) for c in g.campaigns]
    pairs.append((None, 180.0))  # direct traffic without a campaign
    campaign = _weighted(rng, pairs)
    if campaign is None:
        start, end = g.base - 364 * DAY, g.base
        channel = "direct"
    else:
        start, end = campaign.lead_window(g.base)
        channel = campaign.channel
    while True:  # the company grows: more leads in recent months
        day = start + (end - start) * rng.random()
        if rng.random() < 0.45 + 0.55 * (1 - (g.base - day) / (364 * DAY)):
            break
    hour = _weighted(rng, [(h, w) for h, w in zip(range(24), [1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 11, 12, 13, 14,
                                                              13, 11, 9, 6, 4, 2, 1], strict=True)])
    t0 = dt.datetime.combine(day.date(), dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)), dt.UTC)
    if campaign is not None and campaign.channel == "webinar" and rng.random() < 0.6:
        t0 = dt.datetime.combine(start.date(), dt.time(17, rng.randint(0, 59), rng.randint(0, 59)), dt.UTC)
    return channel, campaign, min(t0, g.base - HOUR)


def _tell(g: _Gen, prof: _Profile, script: dict[str, Any] | None, t0: dt.datetime,
          campaign: CampaignSpec | None = None) -> _Story:
    story = _Story(g, prof, script, t0, campaign)
    story.run()
    return story


def _place_scripted(g: _Gen, script: dict[str, Any]) -> _Story:
    """Tell a scripted story so that it completes: "open" ones end ``open`` hours before today, the others
    well before today. The same random draws are replayed at each trial moment (``rng`` state restored)."""
    rng = g.rng
    prof = g.profile(script["seg"], script["channel"])
    open_hours = script.get("open")
    target = g.base - (open_hours * HOUR if open_hours is not None else rng.uniform(25, 300) * DAY)
    state = rng.getstate()
    t0 = target - 60 * DAY
    best: _Story | None = None
    for attempt in range(8):
        rng.setstate(state)
        story = _tell(g, prof, script, t0)
        end = story.last
        if not story.truncated and end <= g.base and (open_hours is None or abs(end - target) < 12 * HOUR):
            best = story
            break
        if not story.truncated and best is None and end <= g.base:
            best = story
        if story.truncated:  # it ran into today: start it a month earlier
            t0 = max(t0 - 30 * DAY, g.base - 364 * DAY)
            continue
        shift = target - end
        # whole days first (working hours depend only on the time of day), then the remainder
        t0 += dt.timedelta(days=math.floor(shift / DAY)) if attempt == 0 else shift
        t0 = max(t0, g.base - 364 * DAY)
    if best is None:
        raise RuntimeError(f"demo: the scripted story {script['label']!r} does not fit before today")
    if best.t0 != t0:  # replay the chosen one so the random stream after it is the one it left
        rng.setstate(state)
        best = _tell(g, prof, script, best.t0)
    return best


def _to_plan(story: _Story, scripted: str) -> LeadPlan:
    prof = story.prof
    behaviour = behaviour_score(story.events, story.g.base)
    return LeadPlan(email=prof.email, campaign=story.steps[0].args["campaign"], fields=story.steps[0].args["fields"],
                    steps=story.steps, scores=(prof.fit, behaviour, prof.fit + behaviour), scripted=scripted,
                    stage=str(story.stage), cycles=story.cycle, owner=story.owner)


def build_plan(*, seed: int, leads: int = DEFAULT_LEADS, base: dt.datetime,
               service_every: int = SERVICE_EVERY) -> DemoPlan:
    """Everything the demo will contain, decided from ``seed`` (see the module docstring)."""
    if leads < MIN_LEADS:
        raise ValueError(f"The demo needs at least {MIN_LEADS} leads.")
    g = _Gen(seed, base)
    plans: list[LeadPlan] = []
    for script in _scripts():
        story = _place_scripted(g, script)
        plans.append(_to_plan(story, script["label"]))
        g.won += story.won
    for n in range(leads - len(plans)):
        channel, campaign, t0 = _random_t0(g)
        story = _tell(g, g.profile(None, channel), None, t0, campaign)
        plan = _to_plan(story, "")
        plan.via_services = service_every > 0 and n % service_every == 0
        plans.append(plan)
        g.won += story.won
    for plan in plans:
        plan.via_services = plan.via_services or bool(plan.scripted)
    plans.sort(key=lambda p: (p.created_at, p.email))
    demo_plan = DemoPlan(seed=seed, base=base, accounts=g.accounts, campaigns=g.campaigns, leads=plans,
                         targets=_targets(g))
    _check_coverage(demo_plan)
    return demo_plan


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _targets(g: _Gen) -> list[tuple[str | None, dt.date, int]]:
    """Revenue targets of the current and previous quarters, sized on what the previous quarter closed."""
    current = _quarter_start(g.base.date())
    previous = _quarter_start(current - DAY)
    won_prev: Counter[str] = Counter()
    for day, team, amount in g.won:
        if previous <= day < current:
            won_prev[team] += amount
    targets: list[tuple[str | None, dt.date, int]] = []
    company = {previous: 0, current: 0}
    for team in (ENTERPRISE, MIDMARKET):
        prev = max(50_000, int(round(won_prev[team] * g.rng.uniform(1.0, 1.2), -4)))
        cur = int(round(prev * 1.1, -4))
        targets += [(team, previous, prev), (team, current, cur)]
        company[previous] += prev
        company[current] += cur
    sdr_prev = int(round(won_prev[SDR] * 1.1, -4))
    targets += [(None, previous, company[previous] + sdr_prev),
                (None, current, int(round((company[previous] + sdr_prev) * 1.1, -4)))]
    return targets


def _check_coverage(plan: DemoPlan) -> None:
    """The promises of the demo (every stage, reason, deal stage ...) hold, or the plan is a bug."""
    used: set[tuple[str, str]] = set()
    deal_stages: set[str] = set()
    for lead in plan.leads:
        for step in lead.steps:
            if step.kind in ("reject", "disqualify", "recycle"):
                kind = {"reject": "rejection", "disqualify": "disqualification", "recycle": "recycle"}[step.kind]
                used.add((kind, step.args["reason"]))
            if step.kind == "deal" and step.args.get("deal_stage"):
                deal_stages.add(step.args["deal_stage"])
                if step.args.get("lost_reason"):
                    used.add(("closed_lost", step.args["lost_reason"]))
            if step.kind == "convert":
                deal_stages.add("discovery")
    problems = [f"demo login {username} has no person" for username, _ in DEMO_LOGINS if username not in PEOPLE_BY_NAME]
    problems += [f"reason {kind}/{code} unused" for kind, code, *_ in DISPOSITIONS if (kind, code) not in used]
    problems += [f"deal stage {s} unused" for s in DealStage.values if s not in deal_stages]
    counts = plan.stage_counts()
    problems += [f"no lead in {stage}" for stage, n in counts.items() if n == 0]
    if not any(p.cycles >= 2 for p in plan.leads):
        problems.append("no lead in a third cycle")
    riley_open = [p for p in plan.leads if p.owner == "riley" and p.stage in (Stage.MQL, Stage.SAL, Stage.SQL)]
    if len(riley_open) < 5:
        problems.append("riley owns too few open leads")
    if problems:
        raise RuntimeError("demo plan is incomplete: " + "; ".join(problems))


# --- loading ------------------------------------------------------------------------------------------------------


class DemoExists(Exception):
    pass


def demo_usernames() -> list[str]:
    return [p.username for p in PEOPLE]


def existing_data() -> dict[str, Any]:
    """What is already there that the demo would clash with."""
    return {
        "leads": Lead.objects.count(),
        "users": list(User.objects.filter(username__in=demo_usernames()).values_list("username", flat=True)),
        "teams": list(Team.objects.filter(name__in=[t[0] for t in TEAMS]).values_list("name", flat=True)),
        "accounts": Account.objects.count(),
        "campaigns": Campaign.objects.count(),
    }


LIFECYCLE_TABLES = [
    StageTransition, Touch, MarketingEvent, Opportunity, Assignment, Lead, Account, Campaign, RevenueTarget,
]


def reset() -> None:
    """Delete the demo: every lead and what hangs off it (TRUNCATE: the audit trail refuses DELETE), accounts,
    campaigns, targets, and the demo's people and teams. The catalogues (reasons, touch channels) stay."""
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in LIFECYCLE_TABLES)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # deferred foreign-key checks still pending in this transaction would make TRUNCATE refuse
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        User.objects.filter(username__in=demo_usernames()).delete()
        Team.objects.filter(name__in=[t[0] for t in TEAMS]).delete()


class _Ctx:
    """The database rows the stories refer to, by natural key."""

    def __init__(self) -> None:
        self.users = {u.username: u for u in User.objects.filter(username__in=demo_usernames()).select_related(
            "rep_profile")}
        self.teams = {t.name: t for t in Team.objects.all()}
        self.campaigns = {c.name: c for c in Campaign.objects.all()}
        self.accounts = {a.domain: a for a in Account.objects.all()}
        self.reasons = {(r.kind, r.code): r for r in DispositionReason.objects.filter(active=True)}
        self.channels = {c.code: c for c in TouchChannel.objects.all()}
        self.outcomes = {o.code: o for o in TouchOutcome.objects.all()}
        self.managed: dict[int, set[int]] = {}
        for team in self.teams.values():
            if team.manager_id:
                self.managed.setdefault(team.manager_id, set()).add(team.pk)
        for user in self.users.values():
            if user.role == Role.SALES_MANAGER and user.team_id:
                self.managed.setdefault(user.pk, set()).add(user.team_id)
        self.cadence = cadence_required_attempts()

    def user(self, username: str | None) -> User | None:
        return self.users[username] if username else None

    def actor(self, username: str | None) -> lc.Actor:
        user = self.user(username)
        return lc.Actor.of(user) if user is not None else lc.Actor.system()


def ledger_candidates(ctx: _Ctx, candidates: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The plan's candidates in the ledger's shape (the one routing.availability.Candidate.entry writes)."""
    entries = []
    for item in candidates:
        user = ctx.users[item["username"]]
        profile = user.rep_profile
        entry = {"rep": user.pk, "username": user.username, "via": item["via"], "team": user.team_id,
                 "weight": profile.weight, "open_leads": None, "capacity": profile.capacity,
                 "time_zone": profile.time_zone,
                 "local_time": now.astimezone(zoneinfo.ZoneInfo(profile.time_zone)).isoformat(timespec="minutes"),
                 "skipped": item["skipped"], "chosen": item["chosen"]}
        if "away_until" in item:
            entry["away_until"] = item["away_until"]
        entries.append(entry)
    return entries


def route_write(*, lead_id: int, rep: User | None, team: Team, method: str, rule: str,
                candidates: list[dict[str, Any]]) -> Assignment:
    """The routing decision of an MQL, as the routing service will write it (it does not exist yet)."""
    now = clock.now()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().get(pk=lead_id)
        latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
        assignment = Assignment.objects.create(
            lead=lead, rep=rep, team=team, method=method, rule_name=rule, candidates=candidates,
            cycle=lead.recycle_count, decided_at=now, latency_ms=latency,
        )
        lead.owner = rep
        lead.team = team
        lead.assigned_at = now if rep is not None else None
        lead.updated_at = now
        lead.save(update_fields=["owner", "team", "assigned_at", "updated_at"])
        events.publish(events.DomainEvent("lead.assigned", now, lead.pk, {
            "assignment_id": assignment.pk, "rep": rep.pk if rep else None, "previous_rep": None, "method": method}))
    return assignment


def play_services(ctx: _Ctx, plan: LeadPlan) -> Lead:
    """Replay one story through the real services, each step at its own moment."""
    lead: Lead | None = None
    opportunity_id: int | None = None
    for step in plan.steps:
        a = step.args
        with clock.frozen_at(step.at):
            if step.kind == "create":
                lead = lc.lead_create(email=a["email"], campaign=ctx.campaigns[a["campaign"]] if a["campaign"] else
                                      None, **a["fields"])
                continue
            assert lead is not None
            if step.kind == "event":
                lc.event_record(lead=lead, type=a["type"], occurred_at=step.at, source=a["source"],
                                campaign=ctx.campaigns[a["campaign"]] if a["campaign"] else None,
                                properties=a["properties"])
            elif step.kind == "promote":
                lc.lead_promote(lead_id=lead.pk, to=a["to"], actor=ctx.actor(step.actor), trigger=a["trigger"],
                                note=a.get("note", ""))
            elif step.kind == "route":
                route_write(lead_id=lead.pk, rep=ctx.user(a["rep"]), team=ctx.teams[a["team"]], method=a["method"],
                            rule=a["rule"], candidates=ledger_candidates(ctx, a["candidates"], step.at))
            elif step.kind == "assign":
                rep = ctx.user(a["rep"])
                actor = ctx.user(step.actor)
                assert rep is not None and actor is not None
                lc.lead_assign(lead_id=lead.pk, owner_id=rep.pk, actor=actor, note=a["note"])
            elif step.kind == "touch":
                rep = ctx.user(step.actor)
                assert rep is not None
                lc.touch_log(lead_id=lead.pk, rep=rep, channel=a["channel"], outcome=a["outcome"],
                             occurred_at=step.at, note=a["note"])
            elif step.kind == "accept":
                lc.lead_accept(lead_id=lead.pk, actor=ctx.actor(step.actor), owner=ctx.user(a["owner"]),
                               note=a["note"])
            elif step.kind == "reject":
                lc.lead_reject(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"], note=a["note"])
            elif step.kind == "qualify":
                lc.lead_qualify(lead_id=lead.pk, actor=ctx.actor(step.actor), bant=a["bant"])
            elif step.kind == "disqualify":
                lc.lead_disqualify(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"],
                                   note=a["note"], override=a["override"])
            elif step.kind == "recycle":
                lc.lead_recycle(lead_id=lead.pk, actor=ctx.actor(step.actor), reason_code=a["reason"], note=a["note"])
            elif step.kind == "convert":
                result = lc.lead_convert(lead_id=lead.pk, actor=ctx.actor(step.actor), amount=Decimal(a["amount"]),
                                         close_date=a["close_date"], name=a["name"])
                assert result.opportunity is not None
                opportunity_id = result.opportunity.pk
            elif step.kind == "deal":
                assert opportunity_id is not None
                lc.opportunity_update(opportunity_id=opportunity_id, deal_stage=a["deal_stage"],
                                      amount=Decimal(a["amount"]) if a["amount"] is not None else None,
                                      close_date=a["close_date"], lost_reason=a["lost_reason"])
            else:
                raise ValueError(f"unknown step {step.kind}")
    assert lead is not None
    fit, behaviour, total = plan.scores
    Lead.objects.filter(pk=lead.pk).update(fit_score=fit, behaviour_score=behaviour, score=total)
    return lead


class ReplayError(Exception):
    """A story the services would refuse (a bug in the plan)."""


class Replay:
    """An in-memory mirror of lifecycle.services for stories written in bulk (see the module docstring).

    Each method mirrors one service: the same fields, the same order of effects, the same checks of the
    transition table (who may move, reasons, cadence, BANT, owner). Rows are kept until ``flush``.
    """

    def __init__(self, ctx: _Ctx):
        self.ctx = ctx
        self.leads: list[Lead] = []
        self.rows: dict[type[Model], list[Any]] = {m: [] for m in (StageTransition, MarketingEvent, Touch,
                                                                   Assignment, Opportunity)}

    def flush(self) -> None:
        if not self.leads:
            return
        Lead.objects.bulk_create(self.leads, batch_size=500)
        for model, rows in self.rows.items():
            for row in rows:
                row.lead_id = row.lead.pk
            model._default_manager.bulk_create(rows, batch_size=1000)
        self.leads = []
        self.rows = {m: [] for m in self.rows}

    def play(self, plan: LeadPlan) -> Lead:
        ctx = self.ctx
        lead: Lead | None = None
        self.opportunity: Opportunity | None = None
        for step in plan.steps:
            a = step.args
            now = step.at
            if step.kind == "create":
                lead = self.create(now, a)
                continue
            assert lead is not None
            if step.kind == "event":
                self.event(lead, now, a)
            elif step.kind == "promote":
                self.transition(lead, now, to=a["to"], actor=ctx.actor(step.actor), trigger=a["trigger"] or "promote",
                                note=a.get("note", ""), action="promote")
            elif step.kind == "route":
                self.route(lead, now, a)
            elif step.kind == "assign":
                self.assign(lead, now, rep=ctx.users[a["rep"]], actor=ctx.users[step.actor or ""], note=a["note"])
            elif step.kind == "touch":
                self.touch(lead, now, rep=ctx.users[step.actor or ""], channel=a["channel"], outcome=a["outcome"],
                           note=a["note"])
            elif step.kind == "accept":
                self.transition(lead, now, to=Stage.SAL, actor=ctx.actor(step.actor), owner=ctx.user(a["owner"]),
                                note=a["note"], trigger="accept", action="accept")
            elif step.kind == "reject":
                reason = self.reason("rejection", a["reason"])
                self.transition(lead, now, to=reason.target_stage, actor=ctx.actor(step.actor), reason=reason,
                                note=a["note"], trigger="reject", action="reject")
            elif step.kind == "qualify":
                self.transition(lead, now, to=Stage.SQL, actor=ctx.actor(step.actor), bant=a["bant"], trigger="qualify",
                                action="qualify")
            elif step.kind == "disqualify":
                self.transition(lead, now, to=Stage.DISQUALIFIED, actor=ctx.actor(step.actor),
                                reason=self.reason("disqualification", a["reason"]), note=a["note"],
                                override=a["override"], trigger="disqualify", action="disqualify")
            elif step.kind == "recycle":
                self.transition(lead, now, to=Stage.NURTURE, actor=ctx.actor(step.actor),
                                reason=self.reason("recycle", a["reason"]), note=a["note"], trigger="recycle",
                                action="recycle")
            elif step.kind == "convert":
                deal = {"amount": Decimal(a["amount"]), "close_date": a["close_date"], "currency": "USD",
                        "name": a["name"]}
                self.transition(lead, now, to=Stage.OPPORTUNITY, actor=ctx.actor(step.actor), trigger="convert",
                                action="convert", opportunity=deal)
            elif step.kind == "deal":
                self.deal(lead, now, a)
            else:
                raise ValueError(f"unknown step {step.kind}")
        assert lead is not None
        lead.fit_score, lead.behaviour_score, lead.score = plan.scores
        return lead

    def reason(self, kind: str, code: str) -> DispositionReason:
        reason = self.ctx.reasons.get((kind, code))
        if reason is None:
            raise ReplayError(f"unknown {kind} reason {code!r}")
        return reason

    # lifecycle.services.leads.lead_create
    def create(self, now: dt.datetime, a: dict[str, Any]) -> Lead:
        email = normalise_email(a["email"])
        fields = a["fields"]
        campaign = self.ctx.campaigns[a["campaign"]] if a["campaign"] else None
        lead = Lead(email=email, created_at=now, updated_at=now, first_campaign=campaign, latest_campaign=campaign,
                    **{k: v for k, v in fields.items() if v is not None})
        if fields.get("company_domain"):
            lead.company_domain = normalise_domain(fields["company_domain"])
        lead.seniority = derive_seniority(lead.title)
        if not lead.source and campaign is not None:
            lead.source = campaign.channel
        domain = normalise_domain(lead.company_domain) or email_domain(email)
        if domain and not is_free_mail(domain):
            account = self.ctx.accounts.get(domain)
            if account is None:
                raise ReplayError(f"{email}: no account {domain} (the services would create one)")
            for key in ("industry", "employee_count", "country"):
                if fields.get(key) not in (None, "") and getattr(account, key) != fields[key]:
                    raise ReplayError(f"{email}: {key} differs from the account's (the services would update it)")
            lead.account = account
        self.leads.append(lead)
        if lead.company_name or lead.title or lead.account is not None:
            self.transition(lead, now, to=Stage.LEAD, actor=lc.Actor.system(), trigger="enriched")
        return lead

    # lifecycle.services.activity.event_record (without external ids: the demo sends none)
    def event(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        campaign = self.ctx.campaigns[a["campaign"]] if a["campaign"] else None
        self.rows[MarketingEvent].append(MarketingEvent(
            lead=lead, type=a["type"], occurred_at=now, campaign=campaign, source=a["source"], external_id=None,
            properties=a["properties"] or {}, created_at=now))
        if campaign is not None:
            lead.latest_campaign = campaign
            lead.updated_at = now
            if lead.first_campaign_id is None:
                lead.first_campaign = campaign
            if lead.source == "":
                lead.source = campaign.channel

    # lifecycle.services.activity.touch_log
    def touch(self, lead: Lead, now: dt.datetime, *, rep: User, channel: str, outcome: str, note: str) -> None:
        channel_row, outcome_row = self.ctx.channels[channel], self.ctx.outcomes[outcome]
        counts = channel_row.counts_as_attempt and outcome_row.counts_as_attempt
        self.rows[Touch].append(Touch(lead=lead, rep=rep, channel=channel_row, outcome=outcome_row, occurred_at=now,
                                      note=note, counts_as_attempt=counts, cycle=lead.recycle_count, created_at=now))
        in_cycle = lead.became_mql_at is not None and now >= lead.became_mql_at
        if counts and in_cycle:
            lead.touch_attempts += 1
            if lead.first_attempt_at is None or now < lead.first_attempt_at:
                lead.first_attempt_at = now
        if lead.last_touch_at is None or now > lead.last_touch_at:
            lead.last_touch_at = now
        if lead.stage in WORKING_STAGES:
            if outcome_row.is_connect:
                lead.status = LeadStatus.CONNECTED
            elif counts and lead.status == LeadStatus.NEW:
                lead.status = LeadStatus.ATTEMPTING
        lead.updated_at = now

    # route_write above
    def route(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        rep, team = self.ctx.user(a["rep"]), self.ctx.teams[a["team"]]
        latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
        self.rows[Assignment].append(Assignment(
            lead=lead, rep=rep, team=team, method=a["method"], rule_name=a["rule"],
            candidates=ledger_candidates(self.ctx, a["candidates"], now), cycle=lead.recycle_count, decided_at=now,
            latency_ms=latency))
        lead.owner = rep
        lead.team = team
        lead.assigned_at = now if rep is not None else None
        lead.updated_at = now

    def _managed(self, user: User) -> set[int]:
        return self.ctx.managed.get(user.pk, set())

    def _manages(self, user: User, lead: Lead) -> bool:
        teams = self._managed(user)
        return user.role == Role.SALES_MANAGER and (
            lead.team_id in teams or (lead.owner is not None and lead.owner.team_id in teams))

    def _may_own(self, rep: User, manager: User) -> bool:
        profile = getattr(rep, "rep_profile", None)
        if rep.role != Role.SALES_REP or not rep.is_active or (profile is not None and not profile.active):
            return False
        return manager.is_superuser or rep.team_id in self._managed(manager)

    # lifecycle.services.assignment.lead_assign
    def assign(self, lead: Lead, now: dt.datetime, *, rep: User, actor: User, note: str) -> None:
        if not (actor.is_superuser or self._manages(actor, lead)) or not self._may_own(rep, actor):
            raise ReplayError(f"{lead.email}: {actor} may not hand the lead to {rep}")
        if lead.stage in NOT_ASSIGNABLE or lead.owner_id == rep.pk:
            raise ReplayError(f"{lead.email}: nothing to reassign in {lead.stage}")
        latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
        self.rows[Assignment].append(Assignment(
            lead=lead, rep=rep, team_id=rep.team_id, previous_rep_id=lead.owner_id, method=AssignmentMethod.MANUAL,
            actor=actor, note=note, cycle=lead.recycle_count, decided_at=now, latency_ms=latency))
        lead.owner = rep
        lead.team_id = rep.team_id
        if lead.assigned_at is None:
            lead.assigned_at = now
        lead.updated_at = now

    def _acting(self, actor: lc.Actor, lead: Lead) -> set[By]:
        user = actor.user
        if actor.kind == ActorKind.SYSTEM or user is None:
            return {By.SYSTEM}
        role = Role.ADMIN if user.is_superuser else user.role
        acting: set[By] = set()
        if role == Role.MARKETING_OPS:
            acting.add(By.MARKETING_OPS)
        if role == Role.INTEGRATOR:
            acting.add(By.INTEGRATOR)
        if role == Role.SALES_MANAGER and self._manages(user, lead):
            acting.add(By.SALES_MANAGER)
        if role == Role.SALES_REP and lead.owner_id == user.pk:
            acting.add(By.OWNER_REP)
        return acting

    # lifecycle.services.transitions.lead_transition
    def transition(self, lead: Lead, now: dt.datetime, *, to: str, actor: lc.Actor, trigger: str = "",
                   reason: DispositionReason | None = None, note: str = "", override: bool = False,
                   owner: User | None = None, bant: dict[str, str] | None = None,
                   opportunity: dict[str, Any] | None = None, action: str | None = None) -> None:
        if lead.stage == to:  # the service writes nothing (or refuses a different decision): never planned
            raise ReplayError(f"{lead.email}: already in {to}")
        move = find_move(lead.stage, to)
        if move is None or (action is not None and move.action != action):
            raise ReplayError(f"{lead.email}: no move {lead.stage} -> {to} ({action})")
        acting = self._acting(actor, lead)
        if not acting & move.by:
            raise ReplayError(f"{lead.email}: {actor.user} may not move {lead.stage} -> {to}")
        req = move.requires
        if req == Requires.COMPANY_OR_TITLE and not (lead.company_name or lead.account_id or lead.account
                                                     or lead.title):
            raise ReplayError(f"{lead.email}: company or title required")
        if req == Requires.HIGH_INTENT_EVENT and trigger != "high_intent_event":
            raise ReplayError(f"{lead.email}: a disqualified lead re-enters MQL only on a high-intent event")
        if req == Requires.OWNER:
            chosen = owner or lead.owner
            if chosen is None or (actor.user is not None and not self._may_own(chosen, actor.user)):
                raise ReplayError(f"{lead.email}: accepting needs an owner of the manager's teams")
        overridden = False
        if req in REASON_KIND_FOR:
            if reason is None or reason.kind != REASON_KIND_FOR[req]:
                raise ReplayError(f"{lead.email}: a {REASON_KIND_FOR[req]} reason is required")
            if req in (Requires.REJECTION_REASON, Requires.LOST_REASON) and reason.target_stage != move.target:
                raise ReplayError(f"{lead.email}: reason {reason.code} does not send a lead to {to}")
            if reason.requires_cadence and lead.touch_attempts < self.ctx.cadence:
                if not (override and By.SALES_MANAGER in acting):
                    raise ReplayError(f"{lead.email}: touch cadence not met ({lead.touch_attempts})")
                overridden = True  # only an override that let the move through is recorded as one
        if req == Requires.BANT and any(not (bant or {}).get(name, "").strip() for name in BANT_FIELDS):
            raise ReplayError(f"{lead.email}: BANT incomplete")
        if req == Requires.OPPORTUNITY and (opportunity is None or not isinstance(opportunity.get("close_date"),
                                                                                  dt.date)):
            raise ReplayError(f"{lead.email}: converting needs an amount and a close date")
        source = lead.stage
        if starts_new_cycle(source, to):
            _start_cycle(lead)
        lead.stage = to
        lead.status = STATUS_ON_ENTRY[Stage(to)]
        setattr(lead, timestamp_field(to), now)
        if reason is not None:
            lead.disposition = reason
            lead.disposition_note = note
        if req == Requires.OWNER:
            chosen = owner or lead.owner
            if chosen is not None and chosen.pk != lead.owner_id:  # _record_owner_choice
                latency = int((now - lead.became_mql_at).total_seconds() * 1000) if lead.became_mql_at else None
                self.rows[Assignment].append(Assignment(
                    lead=lead, rep=chosen, team_id=chosen.team_id, previous_rep_id=lead.owner_id,
                    method=AssignmentMethod.ACCEPT, actor=actor.user, cycle=lead.recycle_count, decided_at=now,
                    latency_ms=latency))
                lead.owner = chosen
                lead.team_id = chosen.team_id
                if lead.assigned_at is None:
                    lead.assigned_at = now
        if req == Requires.BANT and bant:
            for name in BANT_FIELDS:
                setattr(lead, name, bant[name].strip())
        if trigger == "high_intent_event":
            lead.high_intent = True
        if req == Requires.OPPORTUNITY and opportunity is not None:
            self.opportunity = Opportunity(
                lead=lead, account=lead.account, owner=lead.owner,
                name=opportunity.get("name") or f"{lead.company_name or lead.email} - new business",
                amount=opportunity["amount"], currency=opportunity.get("currency") or "USD",
                close_date=opportunity["close_date"], cycle=lead.recycle_count, created_at=now)
            self.rows[Opportunity].append(self.opportunity)
        lead.transition_count += 1
        lead.updated_at = now
        self.rows[StageTransition].append(StageTransition(
            lead=lead, seq=lead.transition_count, cycle=lead.recycle_count, from_stage=source, to_stage=to,
            actor_kind=actor.kind, actor=actor.user, reason=reason, trigger=trigger or move.action, note=note,
            override=overridden, occurred_at=now))

    # lifecycle.services.deals.opportunity_update
    def deal(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        opp = self.opportunity
        if opp is None or opp.deal_stage in CLOSED_DEAL_STAGES:
            raise ReplayError(f"{lead.email}: no open opportunity")
        if a["amount"] is not None:
            opp.amount = Decimal(a["amount"])
        if a["close_date"] is not None:
            opp.close_date = a["close_date"]
        reason = None
        if a["deal_stage"] == DealStage.CLOSED_LOST:
            reason = self.reason("closed_lost", a["lost_reason"])
            opp.lost_reason = reason
        if a["deal_stage"] is not None:
            opp.deal_stage = a["deal_stage"]
        if opp.deal_stage in CLOSED_DEAL_STAGES:
            opp.closed_at = now
        if opp.deal_stage == DealStage.CLOSED_WON and lead.stage == Stage.OPPORTUNITY:
            self.transition(lead, now, to=Stage.CUSTOMER, actor=lc.Actor.system(), trigger="closed_won")
        if opp.deal_stage == DealStage.CLOSED_LOST and lead.stage == Stage.OPPORTUNITY and reason is not None:
            self.transition(lead, now, to=reason.target_stage, actor=lc.Actor.system(), reason=reason,
                            trigger="closed_lost")


def _load_org(plan: DemoPlan) -> None:
    """Teams, people, rep profiles, accounts and campaigns (the services where there are any)."""
    base = plan.base
    with clock.frozen_at(base - 400 * DAY):
        teams = {name: org_services.team_create(name=name, kind=kind, capacity=capacity)
                 for name, kind, _, capacity in TEAMS}
        password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 per user would cost seconds
        users: dict[str, User] = {}
        for p in PEOPLE:
            rep = {"weight": p.weight, "capacity": p.capacity, "time_zone": p.time_zone} if p.is_rep else None
            user = org_services.user_create(
                username=p.username, email=f"{p.username}@{ORG_DOMAIN}" if p.role != Role.INTEGRATOR else "",
                role=p.role, team=teams[p.team] if p.team else None, first_name=p.first_name,
                last_name=p.last_name, rep=rep)
            if p.role != Role.INTEGRATOR:
                user.password = password
                user.save(update_fields=["password"])
            users[p.username] = user
        for name, _, manager, _ in TEAMS:
            org_services.team_update(team=teams[name], manager=users[manager])
    Account.objects.bulk_create([
        Account(name=a.name, domain=a.domain, industry=a.industry, employee_count=a.employee_count, country=a.country,
                annual_revenue=Decimal(a.annual_revenue), owner=users[a.owner] if a.owner else None,
                created_at=base - (380 - i % 15) * DAY + (i % 24) * HOUR)
        for i, a in enumerate(plan.accounts)
    ])
    Campaign.objects.bulk_create([
        Campaign(name=c.name, channel=c.channel, type=c.type, cost=Decimal(c.cost), starts_on=c.starts_on,
                 ends_on=c.ends_on, expected_volume=c.expected_volume,
                 created_at=dt.datetime.combine(c.starts_on - dt.timedelta(days=21), dt.time(10), dt.UTC))
        for c in plan.campaigns
    ])
    teams_by_name = {t.name: t for t in Team.objects.all()}
    RevenueTarget.objects.bulk_create([
        RevenueTarget(team=teams_by_name[team] if team else None, period_start=start, amount=Decimal(amount))
        for team, start, amount in plan.targets
    ])


def _finish_org(plan: DemoPlan) -> None:
    """After the history: leave ranges (one covering today) and the rep who left stops taking leads."""
    for username in ON_LEAVE:
        rep = RepProfile.objects.get(user__username=username)
        org_services.rep_update(rep=rep, out_of_office=[
            {"starts_at": start, "ends_at": end, "note": note}
            for start, end, note in leave_ranges(plan.base, username)])
    for username in DEPARTED:
        org_services.rep_update(rep=RepProfile.objects.get(user__username=username), active=False)


@dataclass
class LoadResult:
    plan: DemoPlan
    via_services: int
    via_replay: int
    seconds: float
    stage_counts: dict[str, int] = field(default_factory=dict)


def load(plan: DemoPlan, *, progress: Callable[[str], None] | None = None) -> LoadResult:
    """Write the plan in one transaction (all or nothing). Refuses when demo people or leads exist."""
    started = time.monotonic()
    found = existing_data()
    if found["leads"] or found["users"] or found["teams"] or found["accounts"] or found["campaigns"]:
        raise DemoExists(found)
    with transaction.atomic():
        _load_org(plan)
        ctx = _Ctx()
        replay = Replay(ctx)
        in_services = in_replay = 0
        for n, lead_plan in enumerate(plan.leads, start=1):
            try:
                if lead_plan.via_services:
                    replay.flush()  # keep lead ids in creation order
                    play_services(ctx, lead_plan)
                    in_services += 1
                else:
                    replay.play(lead_plan)
                    in_replay += 1
            except (DomainError, ReplayError) as exc:
                raise RuntimeError(f"demo story of {lead_plan.email} ({lead_plan.scripted or 'random'}) failed at "
                                   f"{exc}") from exc
            if progress and n % 500 == 0:
                progress(f"{n} of {len(plan.leads)} leads")
        replay.flush()
        _finish_org(plan)
    counts = Counter(Lead.objects.values_list("stage", flat=True))
    return LoadResult(plan=plan, via_services=in_services, via_replay=in_replay,
                      seconds=time.monotonic() - started,
                      stage_counts={stage: counts.get(stage, 0) for stage in Stage.values})


def base_moment() -> dt.datetime:
    """Midnight UTC of today: every story is placed relative to it."""
    now = clock.now()
    return dt.datetime.combine(now.date(), dt.time(), dt.UTC)


def summary(result: LoadResult) -> list[str]:
    lines = [f"Loaded the demo organisation (seed {result.plan.seed}) in {result.seconds:.1f} s: "
             f"{sum(result.stage_counts.values())} leads ({result.via_services} through the services, "
             f"{result.via_replay} bulk-written)."]
    lines.append("Leads per stage: " + ", ".join(f"{s} {n}" for s, n in result.stage_counts.items()))
    lines.append(f"Accounts {Account.objects.count()}, campaigns {Campaign.objects.count()}, marketing events "
                 f"{MarketingEvent.objects.count()}, touches {Touch.objects.count()}, opportunities "
                 f"{Opportunity.objects.count()}, history rows {StageTransition.objects.count()}.")
    lines.append("Teams:")
    for team in Team.objects.select_related("manager").order_by("id"):
        members = team.members.count()
        lines.append(f"  {team.name:<18} {team.kind:<10} manager {team.manager.username if team.manager else '-':<6}"
                     f" {members} people")
    lines.append(f"Sign in with (password '{DEMO_PASSWORD}'):")
    lines += [f"  {username:<8} {what}" for username, what in DEMO_LOGINS]
    return lines
