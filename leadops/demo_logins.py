"""The demo organisation's sign-ins, printed by `leadops up --demo` (password: leadops-demo)."""

DEMO_PASSWORD = "leadops-demo"

DEMO_LOGINS: list[tuple[str, str]] = [
    ("admin", "admin: configures everything"),
    ("maya", "marketing_ops: MQL queue, scoring, campaigns, recycled leads"),
    ("sam", "sales_manager: SAL review for the Enterprise and Mid-market teams"),
    ("riley", "sales_rep: Mid-market rep, 'My leads'"),
    ("lee", "leadership: dashboards, read-only"),
]
