import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
application = get_asgi_application()

# The same refusal as crm/wsgi.py: no production start without the required settings.
from crm.checks import refuse_to_start_without_required_settings  # noqa: E402

refuse_to_start_without_required_settings()
