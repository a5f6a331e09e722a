"""Every setting the code reads is declared in crm/settings.py and documented in README; a production
start refuses to run without the required ones; mail is configured from the environment."""

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import global_settings
from django.test import override_settings

from crm.checks import check_delivery_settings, check_required_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "crm" / "settings.py"
PROJECT_DIRS = ["accounts", "api", "crm", "insights", "leads", "scripts"]


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production start: no DEBUG, nothing of ours unless given (empty values
    rather than absent ones, so a developer's .env file cannot fill them in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SITE_URL", "SMS_"))}
    env.pop("DATABASE_URL", None)
    return {**env, "DJANGO_DEBUG": "0", "SITE_URL": "", "DJANGO_SETTINGS_MODULE": "crm.settings", **extra}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=production_env(**env), capture_output=True, text=True, timeout=120
    )


# -- production start --------------------------------------------------------------------------------


def test_gunicorns_module_refuses_to_load_without_site_url():
    result = run(["-c", "import crm.wsgi"])
    assert result.returncode != 0
    assert "Leads CRM will not start. SITE_URL is not set: set it to the address people open" in result.stderr


def test_asgi_module_refuses_too():
    result = run(["-c", "import crm.asgi"])
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr


def test_a_relative_site_url_is_refused():
    result = run(["-c", "import crm.wsgi"], SITE_URL="crm.example.com")
    assert result.returncode != 0
    assert "SITE_URL='crm.example.com' is not an absolute address" in result.stderr


def test_wsgi_starts_with_site_url_or_in_debug():
    assert run(["-c", "import crm.wsgi"], SITE_URL="https://crm.example.com").returncode == 0
    assert run(["-c", "import crm.wsgi"], DJANGO_DEBUG="1").returncode == 0


def test_check_deploy_fails_without_site_url():
    result = run(["manage.py", "check", "--deploy"])
    assert result.returncode != 0
    assert "(crm.E001) SITE_URL is not set" in result.stderr
    result = run(["manage.py", "check", "--deploy"], SITE_URL="https://crm.example.com")
    assert "crm.E001" not in result.stdout + result.stderr


def test_required_settings_do_not_apply_in_debug():
    with override_settings(DEBUG=True, SITE_URL=""):
        assert check_required_settings(None) == []
    with override_settings(DEBUG=False, SITE_URL=""):
        assert [e.id for e in check_required_settings(None)] == ["crm.E001"]


def test_deploy_check_warns_that_the_log_sms_backend_sends_nothing():
    with override_settings(SMS_BACKEND="insights.sms.LogSMSBackend"):
        assert "crm.W001" in [w.id for w in check_delivery_settings(None)]
    with override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend"):
        assert [w.id for w in check_delivery_settings(None)] == []
    with override_settings(SMS_BACKEND="insights.sms.Nope"):
        assert [w.id for w in check_delivery_settings(None)] == ["crm.E002"]
    with override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend", REMINDER_SENDING_TIMEOUT=30):
        assert [w.id for w in check_delivery_settings(None)] == ["crm.W002"]


# -- mail from the environment -----------------------------------------------------------------------

SHOW_MAILER = (
    "import django, json; django.setup(); from django.conf import settings; from django.core import mail; "
    "m = mail.mailers.default; "
    "print(json.dumps([settings.MAILERS, type(m).__name__, getattr(m, 'host', None), getattr(m, 'timeout', None)]))"
)


def mailer(**env: str) -> list:
    result = run(["-c", SHOW_MAILER], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_readme_deployment_gets_a_working_smtp_mailer_with_a_timeout():
    # README's deploy commands before this change: DJANGO_EMAIL_BACKEND=smtp and nothing else, which
    # failed every email with "OPTIONS must define 'host'".
    for env in ({}, {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}):
        config, name, host, timeout = mailer(**env)
        assert name == "EmailBackend"
        assert (host, timeout) == ("localhost", 10.0)
        assert config["default"]["OPTIONS"]["port"] == 25


def test_the_email_url_gives_host_port_user_password_tls_and_timeout():
    from crm.settings import _mailer

    options = _mailer("smtp+tls://crm%40example.com:s%3Acret@smtp.example.com:587", backend=None, timeout=4.0)[
        "OPTIONS"
    ]
    assert options == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "crm@example.com",
        "password": "s:cret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 4.0,
    }
    assert _mailer("smtp+ssl://mail.example.com", backend=None, timeout=4.0)["OPTIONS"]["use_ssl"] is True
    assert _mailer("consolemail://", backend=None, timeout=4.0) == {
        "BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


def test_the_smtp_timeout_comes_from_the_environment_and_debug_prints_mail():
    config, _name, host, timeout = mailer(DJANGO_EMAIL_URL="smtp://mail.example.com:2525", DJANGO_SMTP_TIMEOUT="4")
    assert (host, timeout, config["default"]["OPTIONS"]["port"]) == ("mail.example.com", 4.0, 2525)
    assert mailer(DJANGO_DEBUG="1")[0] == {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}


# -- every setting declared and documented -----------------------------------------------------------


def declared_settings() -> set[str]:
    tree = ast.parse(SETTINGS.read_text())
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def project_sources():
    yield from ROOT.glob("*.py")  # conftest.py, manage.py
    for folder in PROJECT_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts and path != SETTINGS:
                yield path


def test_every_setting_the_code_reads_is_django_s_or_declared_in_settings():
    ours = declared_settings()
    read = {}
    for path in project_sources():
        text = path.read_text()
        for name in re.findall(r"\bsettings\.([A-Z][A-Z0-9_]+)", text) + re.findall(
            r"getattr\(\s*settings\s*,\s*[\"']([A-Z][A-Z0-9_]+)", text
        ):
            read.setdefault(name, path.relative_to(ROOT))
    undeclared = {
        name: str(path) for name, path in read.items() if name not in ours and not hasattr(global_settings, name)
    }
    assert undeclared == {}
    for name in ("SITE_URL", "SMS_BACKEND", "SMS_TIMEOUT", "SMTP_TIMEOUT", "REMINDER_SENDING_TIMEOUT"):
        assert name in read and name in ours


def test_no_second_default_for_a_declared_setting():
    # getattr(settings, "X", default) next to a declaration is a second default that drifts.
    ours = declared_settings()
    for path in project_sources():
        for name in re.findall(r"getattr\(\s*settings\s*,\s*[\"']([A-Z][A-Z0-9_]+)[\"']\s*,", path.read_text()):
            assert name not in ours, f"{path.relative_to(ROOT)} reads {name} with its own default"


def environment_variables() -> set[str]:
    text = SETTINGS.read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
    schema = text.split("env = environ.Env(", 1)[1].split("\n)", 1)[0]
    return names | set(re.findall(r"^\s+([A-Z][A-Z0-9_]+)=", schema, re.MULTILINE))


def test_readme_deploy_table_lists_every_environment_variable_with_a_default_and_a_meaning():
    readme = (ROOT / "README.md").read_text()
    deploy = readme.split("## Deploy", 1)[1]
    rows = {m[1]: m for m in re.finditer(r"^\| `([A-Z][A-Z0-9_]+)` \|([^|]*)\|([^|]+)\|$", deploy, re.MULTILINE)}
    variables = environment_variables()
    assert {"SITE_URL", "SMS_BACKEND", "DJANGO_SECURE_COOKIES", "DJANGO_EMAIL_URL", "DJANGO_SMTP_TIMEOUT"} <= variables
    assert sorted(variables - rows.keys()) == []
    assert sorted(rows.keys() - variables) == []  # no row for a variable nothing reads
    assert all(row[3].strip() for row in rows.values())  # each says what it means
    assert "`0` for plain http on loopback" in rows["DJANGO_SECURE_COOKIES"][3]
