"""Pages of the shared dashboards and reports, one module per page family (weekly.py, funnel.py, ...). This
package re-exports the views reporting/urls.py routes to."""

from reporting.views.attribution import attribution_page
from reporting.views.campaigns import campaign_calendar_page
from reporting.views.funnel import funnel_page
from reporting.views.home import home
from reporting.views.leads import report_leads
from reporting.views.menu import reports_menu
from reporting.views.quality import lead_quality_page, win_loss_page
from reporting.views.sla import sla_page
from reporting.views.weekly import weekly_leads, weekly_pipeline

__all__ = ["attribution_page", "campaign_calendar_page", "funnel_page", "home", "lead_quality_page", "report_leads",
           "reports_menu", "sla_page", "weekly_leads", "weekly_pipeline", "win_loss_page"]
