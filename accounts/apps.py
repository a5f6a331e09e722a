from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from accounts.append_only import register_sqlite_functions

        # The access log's SQLite DELETE trigger calls a function of ours (accounts/append_only.py).
        connection_created.connect(register_sqlite_functions, dispatch_uid="accesslog_sqlite_functions")
