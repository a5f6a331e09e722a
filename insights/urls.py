"""Routes of the insights app. Ids are `<id:...>` (crm/converters.py): 1 to 2**63 - 1."""

from django.urls import path

from crm import converters  # noqa: F401  (registers the `id` converter)
from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="dashboard_csv"),
    path("leads/", views.drill_down, name="leads"),
    path("calendar/", views.calendar, name="calendar"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/count/", views.notification_count, name="notification_count"),
    path("notifications/read-all/", views.mark_all_read, name="notifications_read_all"),
    path("notifications/<id:pk>/read/", views.mark_read, name="notification_read"),
    path("contact/<id:lead_pk>/<str:channel>/", views.contact, name="contact"),
    path("message-templates/", views.message_templates, name="message_templates"),
]
