from django.apps import AppConfig


class CrmConfig(AppConfig):
    """The project itself, as an app only so that its system checks (crm/checks.py) are registered."""

    name = "crm"
    verbose_name = "Leads CRM"

    def ready(self) -> None:
        from crm import checks  # noqa: F401  (registers the checks)
