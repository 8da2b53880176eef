"""The browser workspace (issue 8): the SAL review queue, the lead page, "My leads", notifications.

HTML views call the same services and selectors as the API: the transition table (``moves_from``) and
the services' own role rules decide which buttons exist and what happens. Errors from the services
become messages on the page (a stale page gets "this lead changed since you opened it" and the fresh
state), never a 500. Lists are paginated in the database.

The pages live in modules by concept: ``sal`` (the SAL review queue), ``lead_page`` (the lead page and its
actions), ``queues`` (My leads, notifications, the MQL queue, recycled leads), ``saved`` (saved views of the
queues), ``common`` (shared helpers).
"""

from lifecycle.views.lead_page import allowed_actions, lead_action, lead_page, lead_touch, may_log_touch
from lifecycle.views.queues import mql_queue, mql_queue_csv, my_leads, notifications, recycled
from lifecycle.views.sal import sal_bulk, sal_decide, sal_review
from lifecycle.views.saved import saved_view_change, saved_view_create

__all__ = [
    "allowed_actions",
    "lead_action",
    "lead_page",
    "lead_touch",
    "may_log_touch",
    "mql_queue",
    "mql_queue_csv",
    "my_leads",
    "notifications",
    "recycled",
    "sal_bulk",
    "sal_decide",
    "sal_review",
    "saved_view_change",
    "saved_view_create",
]
