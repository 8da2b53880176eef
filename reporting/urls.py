from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.home, name="home"),
    path("dashboards/weekly-pipeline/", views.weekly_pipeline, name="weekly_pipeline"),
    path("dashboards/weekly-pipeline/leads/", views.weekly_leads, name="weekly_leads"),
]
