"""Word lists and fixed tables the data generator draws from (no Faker: it is too slow for 1M rows)."""

from __future__ import annotations

# country -> (region, UTC offset in hours (standard time; good enough for generated office hours),
#             weight among leads, phone prefix)
COUNTRIES: dict[str, tuple[str, float, float, str]] = {
    "US": ("na", -6, 38.0, "+1"), "CA": ("na", -5, 5.0, "+1"),
    "GB": ("emea", 0, 9.0, "+44"), "DE": ("emea", 1, 7.0, "+49"), "FR": ("emea", 1, 5.0, "+33"),
    "NL": ("emea", 1, 2.5, "+31"), "ES": ("emea", 1, 2.5, "+34"), "IT": ("emea", 1, 2.0, "+39"),
    "SE": ("emea", 1, 1.5, "+46"), "IE": ("emea", 0, 1.2, "+353"), "ZA": ("emea", 2, 1.0, "+27"),
    "AE": ("emea", 4, 0.8, "+971"), "PL": ("emea", 1, 1.0, "+48"),
    "AU": ("apac", 10, 3.5, "+61"), "SG": ("apac", 8, 1.5, "+65"), "IN": ("apac", 5.5, 5.0, "+91"),
    "JP": ("apac", 9, 2.0, "+81"), "NZ": ("apac", 12, 0.6, "+64"),
    "BR": ("latam", -3, 3.5, "+55"), "MX": ("latam", -6, 2.0, "+52"), "AR": ("latam", -3, 0.8, "+54"),
    "CO": ("latam", -5, 0.8, "+57"), "CL": ("latam", -4, 0.6, "+56"),
}
SERVED_COUNTRIES = {"US", "CA", "GB", "DE", "FR", "NL", "IE", "AU", "SE", "ES"}

# rep time zones per sales region (names are real IANA zones; offsets approximate)
REGION_TIME_ZONES: dict[str, list[tuple[str, float]]] = {
    "na": [("America/New_York", -5), ("America/Chicago", -6), ("America/Denver", -7), ("America/Los_Angeles", -8),
           ("America/Toronto", -5)],
    "emea": [("Europe/London", 0), ("Europe/Berlin", 1), ("Europe/Paris", 1), ("Europe/Madrid", 1),
             ("Europe/Amsterdam", 1), ("Africa/Johannesburg", 2), ("Asia/Dubai", 4)],
    "apac": [("Asia/Singapore", 8), ("Australia/Sydney", 10), ("Asia/Tokyo", 9), ("Asia/Kolkata", 5.5)],
    "latam": [("America/Sao_Paulo", -3), ("America/Mexico_City", -6), ("America/Bogota", -5)],
}

FIRST_NAMES: dict[str, list[str]] = {
    "na": ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
           "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen",
           "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Ashley", "Steven", "Emily",
           "Andrew", "Kimberly", "Joshua", "Michelle", "Kevin", "Amanda", "Brian", "Melissa", "Ryan", "Laura",
           "Jacob", "Rachel", "Tyler", "Megan", "Ethan", "Hannah", "Logan", "Olivia", "Mason", "Chloe"],
    "emea": ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Lukas", "Mia", "Leon", "Emma", "Felix",
             "Sophie", "Paul", "Hanna", "Jonas", "Lea", "Hugo", "Camille", "Louis", "Chloé", "Jules", "Manon",
             "Lucas", "Julia", "Daan", "Sanne", "Pablo", "Lucía", "Javier", "Carmen", "Marco", "Giulia",
             "Luca", "Chiara", "Erik", "Astrid", "Sean", "Aoife", "Thabo", "Naledi", "Omar", "Fatima",
             "Jakub", "Zofia", "Anders", "Ingrid", "Niamh", "Conor", "Matteo", "Elena"],
    "apac": ["Wei", "Li", "Arjun", "Priya", "Rahul", "Ananya", "Hiroshi", "Yuki", "Kenji", "Sakura", "Jack",
             "Charlotte", "Noah", "Isabella", "Liam", "Grace", "Aarav", "Diya", "Vikram", "Sneha", "Min-jun",
             "Ji-woo", "Ravi", "Kavya", "Takumi", "Aiko", "Ethan", "Ruby", "Mei", "Jun"],
    "latam": ["Mateo", "Sofía", "Santiago", "Valentina", "Sebastián", "Isabella", "Diego", "Camila", "Gabriel",
              "Mariana", "João", "Ana", "Pedro", "Beatriz", "Lucas", "Larissa", "Rafael", "Fernanda", "Tomás",
              "Martina", "Andrés", "Daniela", "Felipe", "Gabriela", "Joaquín", "Catalina"],
}
LAST_NAMES: dict[str, list[str]] = {
    "na": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
           "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
           "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King",
           "Wright", "Scott", "Hill", "Green", "Adams", "Baker", "Nelson", "Carter", "Mitchell", "Roberts",
           "Campbell", "Parker", "Evans", "Edwards", "Collins", "Stewart", "Morris", "Murphy", "Cook", "Rogers"],
    "emea": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
             "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
             "de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "García", "Fernández", "González",
             "Rodríguez", "López", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Andersson", "Johansson",
             "Karlsson", "Murphy", "Kelly", "O'Brien", "Walsh", "Nkosi", "Dlamini", "Kowalski", "Nowak",
             "Taylor", "Davies", "Evans", "Wilson", "Hughes"],
    "apac": ["Wang", "Li", "Zhang", "Liu", "Chen", "Sharma", "Patel", "Singh", "Kumar", "Gupta", "Sato", "Suzuki",
             "Takahashi", "Tanaka", "Watanabe", "Smith", "Jones", "Williams", "Brown", "Wilson", "Tan", "Lim",
             "Ng", "Kim", "Park", "Nguyen", "Iyer", "Reddy", "Nair", "Mehta"],
    "latam": ["Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
              "Gomes", "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez",
              "García", "Sánchez", "Romero", "Torres", "Ramírez", "Flores", "Castro", "Vargas"],
}

# (title, seniority, weight)
TITLES: list[tuple[str, str, float]] = [
    ("Software Engineer", "individual", 6), ("Marketing Specialist", "individual", 5),
    ("Sales Representative", "individual", 4), ("Data Analyst", "individual", 4),
    ("Operations Analyst", "individual", 3), ("Account Executive", "individual", 3),
    ("Consultant", "individual", 3), ("IT Administrator", "individual", 3),
    ("Product Manager", "manager", 4), ("Marketing Manager", "manager", 5), ("IT Manager", "manager", 4),
    ("Engineering Manager", "manager", 3), ("Sales Manager", "manager", 3), ("Office Manager", "manager", 2),
    ("Director of Marketing", "director", 3), ("Director of IT", "director", 2.5),
    ("Head of Operations", "director", 2), ("Head of Growth", "director", 1.5),
    ("Director of Engineering", "director", 2), ("VP Sales", "vp", 1.2), ("VP Marketing", "vp", 1.2),
    ("VP Engineering", "vp", 1), ("Chief Technology Officer", "cxo", 0.8), ("CEO", "cxo", 0.8),
    ("Founder", "cxo", 0.8), ("Chief Revenue Officer", "cxo", 0.4), ("CFO", "cxo", 0.4),
    ("Student", "individual", 1.5), ("", "", 8),
]

INDUSTRIES: list[tuple[str, float]] = [
    ("Software", 16), ("Financial Services", 9), ("Healthcare", 8), ("Manufacturing", 9), ("Retail", 7),
    ("Education", 5), ("Professional Services", 8), ("Media", 4), ("Telecommunications", 3),
    ("Logistics", 4), ("Real Estate", 3), ("Energy", 3), ("Government", 2), ("Non-profit", 2),
    ("Hospitality", 3), ("Insurance", 4), ("Construction", 3), ("Automotive", 2),
]
TARGET_INDUSTRIES = {"Software", "Financial Services", "Healthcare", "Professional Services", "Insurance"}

COMPANY_WORDS_A = ["Acme", "Blue", "North", "Bright", "Silver", "Green", "Iron", "Swift", "Summit", "Nova",
                   "Atlas", "Cedar", "Delta", "Eagle", "Falcon", "Granite", "Harbor", "Ivy", "Juniper", "Kite",
                   "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quantum", "River", "Sterling", "Titan",
                   "Unity", "Vertex", "Willow", "Zenith", "Apex", "Beacon", "Crest", "Drift", "Ember", "Fjord",
                   "Globe", "Helix", "Indigo", "Jade", "Keystone", "Lark", "Meridian", "Noble", "Oak", "Polar"]
COMPANY_WORDS_B = ["Labs", "Systems", "Analytics", "Health", "Logistics", "Capital", "Foods", "Energy", "Retail",
                   "Works", "Software", "Partners", "Holdings", "Media", "Networks", "Dynamics", "Solutions",
                   "Industries", "Robotics", "Cloud", "Bank", "Insurance", "Motors", "Studios", "Pharma",
                   "Consulting", "Supply", "Telecom", "Learning", "Realty"]
COMPANY_SUFFIX = ["", "", "", " Inc", " Ltd", " GmbH", " SA", " BV", " LLC", " Group", " Co"]
TLDS_BY_REGION = {"na": [".com", ".com", ".io", ".co"], "emea": [".com", ".co.uk", ".de", ".fr", ".eu", ".nl"],
                  "apac": [".com", ".com.au", ".sg", ".in", ".jp"], "latam": [".com", ".com.br", ".mx", ".com.ar"]}
FREEMAIL = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me", "gmx.de", "aol.com"]
COMPETITOR_DOMAINS = ["hubspot.com", "salesforce.com", "marketo.com", "pipedrive.com"]

# channel -> (number of campaigns, quality multiplier, lead-volume weight, campaign type, cost per campaign)
CHANNELS: dict[str, tuple[int, float, float, str, float]] = {
    "webinar": (8, 1.45, 9, "webinar", 8_000), "event": (6, 1.2, 6, "trade show", 45_000),
    "paid_search": (8, 1.0, 16, "ads", 30_000), "paid_social": (8, 0.6, 18, "ads", 25_000),
    "organic_search": (3, 1.1, 12, "seo", 6_000), "email": (7, 0.9, 10, "newsletter", 3_000),
    "content": (7, 0.7, 14, "ebook", 15_000), "referral": (3, 1.8, 3, "referral program", 5_000),
    "partner": (4, 1.5, 3, "co-marketing", 12_000), "direct": (2, 1.3, 5, "website", 0),
    "outbound": (4, 0.8, 4, "sdr sequence", 20_000),
}
CAMPAIGN_TOPICS = ["Pipeline Visibility", "Revenue Ops", "SLA Playbook", "Lead Scoring 101", "Forecasting",
                   "Data Quality", "Attribution", "Sales Enablement", "ABM", "Customer Success", "AI Assist",
                   "Security Review", "Integrations", "Onboarding", "Q4 Planning", "Benchmark Report"]

# (event type, behaviour points) by channel (what the creating event is)
FIRST_EVENT_BY_CHANNEL = {
    "webinar": "webinar_registered", "event": "event_badge_scan", "paid_search": "form_submit",
    "paid_social": "form_submit", "organic_search": "content_download", "email": "email_click",
    "content": "content_download", "referral": "form_submit", "partner": "form_submit", "direct": "form_submit",
    "outbound": "email_replied",
}
EVENT_POINTS = {
    "demo_request": 40, "contact_sales": 40, "pricing_page_view": 10, "webinar_attended": 10,
    "webinar_registered": 5, "content_download": 5, "event_badge_scan": 8, "form_submit": 5, "email_click": 3,
    "email_open": 1, "page_view": 1, "email_replied": 5, "trial_started": 20,
}
# the follow-up behaviour of engaged leads: (type, weight)
FOLLOW_UP_EVENTS: list[tuple[str, float]] = [
    ("email_open", 30), ("email_click", 14), ("page_view", 24), ("pricing_page_view", 7),
    ("content_download", 8), ("webinar_registered", 4), ("webinar_attended", 3), ("form_submit", 3),
    ("trial_started", 1), ("email_replied", 1),
]
HIGH_INTENT_EVENTS = ["demo_request", "contact_sales"]
EVENT_SOURCES = ["hubspot", "marketo", "web", "segment", "api"]
PAGES = ["/pricing", "/product", "/blog/sla-for-sales", "/customers", "/integrations", "/docs", "/security",
         "/blog/lead-scoring", "/about", "/compare"]

BANT = {
    "budget": ["Approved for this fiscal year", "Needs CFO sign-off, ~50k", "Budget in Q3 plan",
               "Existing tooling budget to be reallocated"],
    "authority": ["VP Sales is the decision maker", "Buying committee of three", "Founder decides",
                  "Procurement plus CRO"],
    "need": ["No shared SLA between marketing and sales", "Leads lost in hand-off", "Reporting takes days",
             "Replacing spreadsheets"],
    "timeline": ["This quarter", "Within 60 days", "Next quarter", "Before renewal in 6 months"],
}
TOUCH_NOTES = ["", "", "", "Left a message", "Asked to call back next week", "Sent case study", "Intro call",
               "Discussed pricing", "No answer", "Booked discovery", "Follow-up email"]
