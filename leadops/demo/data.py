"""The demo's fixed tables: the organisation (teams, people, leave), the market (countries, companies, names,
titles), the campaigns, and the words that go into events, qualification and rejection notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from leadops.roles import Role

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


def demo_usernames() -> list[str]:
    return [p.username for p in PEOPLE]


def team_names() -> list[str]:
    return [t[0] for t in TEAMS]


# --- the market ---------------------------------------------------------------------------------------------------

SERVED_COUNTRIES = {"US", "CA", "GB", "IE", "DE", "FR", "NL", "SE", "ES", "AU", "NZ", "SG"}
COUNTRIES: list[tuple[str, int, str, str]] = [  # code, weight, tld, phone prefix
    ("US", 40, "com", "+1"), ("GB", 12, "co.uk", "+44"), ("DE", 9, "de", "+49"), ("CA", 6, "ca", "+1"),
    ("FR", 4, "fr", "+33"), ("NL", 4, "nl", "+31"), ("AU", 6, "com.au", "+61"), ("SG", 4, "sg", "+65"),
    ("IE", 2, "ie", "+353"), ("SE", 2, "se", "+46"), ("ES", 2, "es", "+34"), ("NZ", 1, "co.nz", "+64"),
    ("IN", 3, "in", "+91"), ("BR", 2, "com.br", "+55"), ("JP", 2, "jp", "+81"), ("ZA", 1, "co.za", "+27"),
]
COUNTRY_WEIGHTS = [(c, w) for c, w, _, _ in COUNTRIES]
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
