"""Settings for Leads CRM: one file, every deploy-time value read from the environment."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver"]),
    PHONE_DEFAULT_REGION=(str, "IN"),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DJANGO_DEBUG")
# The default key is for development and tests only; `check --deploy` flags it in production.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="django-insecure-dev-key-set-DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",  # the task queue's table (TASKS below)
    "accounts",
    "leads",
    "api",
    "insights",
    "crm",  # only for its system checks (crm/checks.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",  # SECURE_CSP below, on every response
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.sessions.SessionTimeoutMiddleware",  # idle, absolute and "everywhere" sign-outs
    "accounts.two_factor.TwoFactorMiddleware",  # super admins, and admin of centers that ask: a code too
    "crm.middleware.NoStoreMiddleware",  # no-store on every signed-in page, export and API answer
    "leads.params.BadDateMiddleware",  # a bad date in any page's query string: 400 with the sentence
    "axes.middleware.AxesMiddleware",  # a locked-out sign-in: the lockout page (last, see axes docs)
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",  # {{ csp_nonce }}, read by {% htmx_script %}
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leads.context_processors.navigation",
            ],
        },
    },
]

# SQLite by default so `make run` needs nothing installed; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Two counselors saving at once must not see "database is locked": WAL lets readers run
    # beside the writer, IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlock),
    # and the busy timeout makes the second writer wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file, not SQLite's shared-cache in-memory database: there the live server's request
    # threads all shared the test's one connection, and two requests at once (the follow-up page sends
    # two) failed with "database table is locked". One file per process, so parallel runs don't collide.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"crm-test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Local memory by default; CACHE_URL=redis://127.0.0.1:6379/0 shares throttling counts between workers.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# Background work (spreadsheet imports, ...) through django.tasks. The default keeps the queue in our
# own database (django-tasks-db): `manage.py db_worker` runs it, `make run` starts one next to the
# server. TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend runs each task at once, in
# the process that enqueues it (the tests' choice where they want the result in hand).
TASKS = {"default": {"BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}
# Attempts at POST /api/v1/auth/token per client address (password guessing).
API_TOKEN_RATE = env("API_TOKEN_RATE", default="10/m")
# The public enquiry form (leads/public.py): accepted submissions per client address and per phone
# within their windows (seconds), the fastest and oldest a rendered form may be sent, and the largest body.
PUBLIC_ENQUIRY_PER_ADDRESS = env.int("PUBLIC_ENQUIRY_PER_ADDRESS", default=10)
PUBLIC_ENQUIRY_ADDRESS_WINDOW = env.int("PUBLIC_ENQUIRY_ADDRESS_WINDOW", default=3600)
PUBLIC_ENQUIRY_PER_PHONE = env.int("PUBLIC_ENQUIRY_PER_PHONE", default=3)
PUBLIC_ENQUIRY_PHONE_WINDOW = env.int("PUBLIC_ENQUIRY_PHONE_WINDOW", default=86400)
PUBLIC_ENQUIRY_MIN_SECONDS = env.float("PUBLIC_ENQUIRY_MIN_SECONDS", default=3.0)
PUBLIC_ENQUIRY_MAX_AGE = env.int("PUBLIC_ENQUIRY_MAX_AGE", default=86400)
PUBLIC_ENQUIRY_MAX_BYTES = env.int("PUBLIC_ENQUIRY_MAX_BYTES", default=20_000)
# An API token stops working this many days after it was issued (and at once on a password change).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ThrottledSignInBackend",  # first: a locked-out sign-in computes no hash
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user would be one more row in every permission query; we never use it.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Sign-in throttling (django-axes): web login, admin login and the API token endpoint. After
# AXES_FAILURE_LIMIT wrong passwords for one username, or from one client address, further attempts are
# refused (no password hash computed) for AXES_COOLOFF_MINUTES; admin unlocks under "Axes".
# Two-factor sign-in (TOTP, django-otp): required for super admins (DJANGO_TWO_FACTOR_SUPER_ADMINS) and
# for Django admin when a center turns it on (Center.require_two_factor).
TWO_FACTOR_SUPER_ADMINS = env.bool("DJANGO_TWO_FACTOR_SUPER_ADMINS", default=True)
OTP_TOTP_ISSUER = "Leads CRM"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locked is enough
AXES_CLIENT_IP_CALLABLE = "accounts.net.client_address"  # X-Forwarded-For only through TRUSTED_PROXIES
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.backends.locked_out"
AXES_USERNAME_CALLABLE = "accounts.backends.sign_in_username"  # cut to the username column
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not axes' business (accounts.AccessLog)
AXES_VERBOSE = False

# Sessions end after DJANGO_SESSION_IDLE_HOURS without a request (a counselor's working day) and
# DJANGO_SESSION_MAX_HOURS after signing in, whatever the activity (accounts/sessions.py). The cookie
# and the stored session expire with the longer one, so nothing outlives it.
SESSION_IDLE_HOURS = env.float("DJANGO_SESSION_IDLE_HOURS", default=8)
SESSION_MAX_HOURS = env.float("DJANGO_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = int(max(SESSION_IDLE_HOURS, SESSION_MAX_HOURS) * 3600)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
# Staff pages stay in LANGUAGE_CODE (no LocaleMiddleware); the public enquiry form alone switches to
# the parent's language (?lang=hi or the browser's Accept-Language), see leads/views/public.py.
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Asia/Kolkata")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic` first: on in production, off in tests.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Mail comes from the environment (Django 6.1 MAILERS): DJANGO_EMAIL_URL names the server, e.g.
# smtp+tls://user:password@smtp.example.com:587 (or smtp+ssl://…:465, smtp://localhost:25,
# consolemail://). Its parts become the SMTP mailer's OPTIONS, which Django 6.1 requires ("OPTIONS must
# define 'host'"); every SMTP call waits at most SMTP_TIMEOUT seconds (the mailer's own default is forever).
SMTP_TIMEOUT = env.float("DJANGO_SMTP_TIMEOUT", default=10.0)


def _mailer(url: str, *, backend: str | None, timeout: float) -> dict:
    config = environ.Env.email_url_config(url, backend=backend or None)
    mailer: dict = {"BACKEND": config["EMAIL_BACKEND"]}
    if mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
        mailer["OPTIONS"] = {
            "host": config["EMAIL_HOST"] or "localhost",
            "port": config["EMAIL_PORT"],  # None: 25, or 587 with TLS, 465 with SSL
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": timeout,
        }
    elif mailer["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
        mailer["OPTIONS"] = {"file_path": "/" + config["EMAIL_FILE_PATH"]}
    return mailer


MAILERS = {
    "default": _mailer(
        env("DJANGO_EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"),
        # Only for a mailer class of your own (it gets no OPTIONS); the URL's scheme decides otherwise.
        backend=env("DJANGO_EMAIL_BACKEND", default=""),
        timeout=SMTP_TIMEOUT,
    )
}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="crm@localhost")

# Absolute address of the site (https://crm.example.com), the prefix of links in reminder emails.
# Required when DEBUG is off: crm/wsgi.py refuses to start without it (see crm/checks.py).
SITE_URL = env("SITE_URL", default="")

# "Forgot password?" (accounts/views.py): at most this many reset emails per address and per
# client IP within the window (seconds), counted in the cache.
PASSWORD_RESET_RATE_PER_EMAIL = 3
PASSWORD_RESET_RATE_PER_ADDRESS = 10
PASSWORD_RESET_RATE_WINDOW = 3600

# Reminders (`manage.py send_reminders`, see docs/insights.md).
REMINDER_DIGEST_HOUR = env.int("REMINDER_DIGEST_HOUR", default=8)  # local hour of each center
OVERDUE_ESCALATION_DAYS = env.int("OVERDUE_ESCALATION_DAYS", default=2)
PARENT_VISIT_REMINDERS = env.bool("PARENT_VISIT_REMINDERS", default=True)
# A row still SENDING after this many seconds belongs to a run that died: it is sent again. Keep it
# well above the longest send (a few SMTP_TIMEOUT / SMS_TIMEOUT waits).
REMINDER_SENDING_TIMEOUT = env.int("REMINDER_SENDING_TIMEOUT", default=900)

# SMS: a class with send(to, body, *, idempotency_key). The default only writes to the log (rows say
# LOGGED); insights.sms.HttpSMSBackend posts JSON to SMS_API_URL with SMS_API_TOKEN.
SMS_BACKEND = env("SMS_BACKEND", default="insights.sms.LogSMSBackend")
SMS_TIMEOUT = env.float("SMS_TIMEOUT", default=10.0)
SMS_API_URL = env("SMS_API_URL", default="")
SMS_API_TOKEN = env("SMS_API_TOKEN", default="")

# Intro visits: an outcome (and attendance) can be recorded from this many minutes before the
# visit's start; a recorded outcome can be corrected by its trainer for this many minutes after
# (center admins and super admins may correct it at any time).
INTRO_VISIT_OUTCOME_GRACE_MINUTES = env.int("INTRO_VISIT_OUTCOME_GRACE_MINUTES", default=30)
INTRO_VISIT_CORRECTION_MINUTES = env.int("INTRO_VISIT_CORRECTION_MINUTES", default=10)

# Phone numbers without a country code are read in this region (E.164 is what we store).
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION")

if not DEBUG:
    # Production is HTTPS behind a TLS-terminating proxy that sets X-Forwarded-Proto. Plain http on
    # loopback (scripts, benchmarks) sets DJANGO_SECURE_COOKIES=0, which turns the redirect off too.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
    # HSTS (sent on https answers only): a year, for this host and its subdomains (*.crm.example.com,
    # not the rest of example.com). Preload is off: the browsers' preload list takes registrable
    # domains only (example.com, not crm.example.com) and leaving it takes months, so it is the domain
    # owner's decision; with it off, Django's reminder about it (security.W021) is silenced below.
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Proxies in front of the app (addresses or networks, e.g. 127.0.0.1,10.0.0.0/8): only requests
# from these have their X-Forwarded-For believed (accounts/net.py). Empty: the peer is the client.
# Links to other sites carry no path (a lead's URL names its id): only same-origin requests see it.
SECURE_REFERRER_POLICY = "same-origin"

TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])

# Content-Security-Policy on every response (Django's ContentSecurityPolicyMiddleware): scripts and
# styles only from our own static files, never inline (no 'unsafe-inline'; a script that truly has to
# be inline takes `nonce="{{ csp_nonce }}"`). htmx's own indicator <style> is turned off in base.html
# and its rules live in app.css. form-action also governs where a submitted form may be redirected:
# the Call and WhatsApp buttons are forms answered by a redirect to tel: and wa.me (which itself
# forwards to api.whatsapp.com), so those are allowed targets.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, "tel:", "https://wa.me", "https://api.whatsapp.com"],
}
