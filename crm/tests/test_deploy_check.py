"""README's deployment commands give a production that `manage.py check --deploy --fail-level WARNING`
passes: no error and no warning, so a new warning in CI means a real gap, not noise."""

import re
import secrets
import shlex

from crm.tests.test_settings import ROOT, run


def readme_production_env() -> dict[str, str]:
    """The `export NAME=value` lines of README's Deploy section, as the shell would set them (the
    secret key's `$(python3 …)` replaced by a key made the same way)."""
    deploy = (ROOT / "README.md").read_text().split("## Deploy", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    env = {}
    for line in deploy.splitlines():
        if match := re.match(r"export ([A-Z][A-Z0-9_]*)=(.*)", line):
            name, value = match[1], shlex.split(match[2], comments=True)
            env[name] = value[0] if value else ""
            if "$(" in env[name]:
                env[name] = secrets.token_urlsafe(50)
    return env


def deploy_check(**env: str):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)


def test_readme_lists_the_production_environment():
    env = readme_production_env()
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "SITE_URL", "DJANGO_EMAIL_URL", "SMS_BACKEND"} <= env.keys()
    assert len(env["DJANGO_SECRET_KEY"]) >= 50


def test_check_deploy_is_clean_with_the_readme_environment():
    env = readme_production_env()
    env.pop("DATABASE_URL")  # the check needs no database; the test machine's SQLite file is enough
    result = deploy_check(**env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_https_protections_are_turned_off():
    env = readme_production_env()
    env.pop("DATABASE_URL")
    result = deploy_check(**env, DJANGO_SECURE_HSTS_SECONDS="0", DJANGO_SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


def test_production_defaults_redirect_to_https_and_send_hsts():
    show = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SILENCED_SYSTEM_CHECKS]))"
    )
    result = run(["-c", show], SITE_URL="https://crm.example.com")
    assert result.stdout.strip() == '[true, 31536000, true, false, ["security.W021"]]', result.stderr
    # Plain http on loopback (DJANGO_SECURE_COOKIES=0, the race tests' gunicorn) is not redirected.
    result = run(["-c", show], SITE_URL="http://127.0.0.1:8000", DJANGO_SECURE_COOKIES="0")
    assert result.stdout.strip().startswith("[false, 31536000"), result.stderr
    # Preload chosen: Django's check about it applies again.
    result = run(["-c", show], SITE_URL="https://crm.example.com", DJANGO_SECURE_HSTS_PRELOAD="1")
    assert result.stdout.strip().endswith("true, []]"), result.stderr
