import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
application = get_wsgi_application()

# gunicorn (and runserver with DEBUG off) stop here, before serving anything, when a required
# setting is missing: SITE_URL in production. `check --deploy` reports the same sentences.
from crm.checks import refuse_to_start_without_required_settings  # noqa: E402

refuse_to_start_without_required_settings()
