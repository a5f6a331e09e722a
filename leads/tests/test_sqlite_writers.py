"""The embedded SQLite default takes two writers at once without "database is locked"."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

WRITER = """
import django, os, datetime
django.setup()
from accounts.models import Center, User
from leads.models import Lead
center = Center.objects.get(code="TLGC")
by = User.objects.get(username="tlgc_counselor")
offset = int(os.environ["WRITER"]) * 1000
for i in range(25):
    Lead.create_enquiry(
        center=center,
        child={"first_name": f"Kid{offset + i}", "last_name": "Test", "dob": datetime.date(2020, 1, 1), "gender": "Boy"},
        parent={"name": "Parent", "phone": f"+91981{offset + i:07d}"},
        consent={"method": "PHONE_VERBAL", "processing": True},
        by=by,
    )
"""


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only")
def test_two_processes_write_enquiries_at_once(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
    }
    run = {"cwd": ROOT, "env": env, "check": True, "capture_output": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], **run)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--per-center", "1"], **run)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER], cwd=ROOT, env={**env, "WRITER": str(n)}, stderr=subprocess.PIPE
        )
        for n in (1, 2)
    ]
    errors = [w.communicate(timeout=120)[1].decode() for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    count = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from leads.models import Lead; print(Lead.objects.filter(center__code='TLGC').count())",
        ],
        **run,
    ).stdout.decode()
    assert int(count.split()[-1]) == 1 + 50
