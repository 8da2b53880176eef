"""Pages of the browser workspace (issue 8); see docs/workspace.md."""

from django.urls import path

from lifecycle import views

app_name = "lifecycle"
urlpatterns = [
    path("sal-review/", views.sal_review, name="sal_review"),
    path("sal-review/bulk/", views.sal_bulk, name="sal_bulk"),
    path("sal-review/<int:lead_id>/<str:action>/", views.sal_decide, name="sal_decide"),
    path("mql-queue/", views.mql_queue, name="mql_queue"),
    path("mql-queue/export.csv", views.mql_queue_csv, name="mql_queue_csv"),
    path("saved-views/", views.saved_view_create, name="saved_view_create"),
    path("saved-views/<int:view_id>/<str:action>/", views.saved_view_change, name="saved_view_change"),
    path("recycled/", views.recycled, name="recycled"),
    path("my-leads/", views.my_leads, name="my_leads"),
    path("leads/<int:lead_id>/", views.lead_page, name="lead"),
    path("leads/<int:lead_id>/touch/", views.lead_touch, name="lead_touch"),
    path("leads/<int:lead_id>/act/<str:action>/", views.lead_action, name="lead_action"),
    path("notifications/", views.notifications, name="notifications"),
]
