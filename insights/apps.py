from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"

    def ready(self) -> None:
        from insights import sql  # noqa: F401  (registers SQLite's median aggregate)
