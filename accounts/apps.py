from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        from accounts.append_only import register_sqlite_functions
        from accounts.sessions import stamp_on_sign_in

        # The access log's SQLite DELETE trigger calls a function of ours (accounts/append_only.py).
        connection_created.connect(register_sqlite_functions, dispatch_uid="accesslog_sqlite_functions")
        # Every sign-in (web, admin, the password-reset door) starts the session's clocks.
        user_logged_in.connect(stamp_on_sign_in, dispatch_uid="session_sign_in_stamp")
