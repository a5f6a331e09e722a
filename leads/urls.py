"""Web routes of the leads app: each screen module owns its own `urlpatterns`."""

import importlib

from leads.views import enquiry, lead_page, leads_list, session

app_name = "leads"

urlpatterns = [
    *session.urlpatterns,
    *enquiry.urlpatterns,
    *leads_list.urlpatterns,
    *lead_page.urlpatterns,
]

# The board, the follow-up queue and the trainer view land separately; the app runs without them.
for _name in ("board", "follow_ups", "trainer"):
    try:
        urlpatterns += importlib.import_module(f"leads.views.{_name}").urlpatterns
    except ModuleNotFoundError as error:
        if error.name != f"leads.views.{_name}":
            raise
