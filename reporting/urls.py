from django.urls import path

from reporting import views
from reporting.views import alignment as alignment_views
from reporting.views import forecast as forecast_views

app_name = "reporting"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/weekly-pipeline/", views.weekly_pipeline, name="weekly_pipeline"),
    path("dashboards/weekly-pipeline/leads/", views.weekly_leads, name="weekly_leads"),
    path("dashboards/", views.reports_menu, name="reports"),
    path("dashboards/funnel/", views.funnel_page, name="funnel"),
    path("dashboards/sla/", views.sla_page, name="sla"),
    path("dashboards/attribution/", views.attribution_page, name="attribution"),
    path("dashboards/lead-quality/", views.lead_quality_page, name="lead_quality"),
    path("dashboards/win-loss/", views.win_loss_page, name="win_loss"),
    path("dashboards/campaign-calendar/", views.campaign_calendar_page, name="campaign_calendar"),
    path("dashboards/leads/", views.report_leads, name="report_leads"),
    path("dashboards/forecast/", forecast_views.forecast_page, name="forecast"),
    path("dashboards/alignment/", alignment_views.alignment_page, name="alignment"),
    path("pulse/", alignment_views.pulse_latest, name="pulse"),
    path("pulse/<int:pk>/", alignment_views.pulse_answer, name="pulse_answer"),
    path("pulse/<int:pk>/results/", alignment_views.pulse_results, name="pulse_results"),
]
