"""`manage.py bench_privacy` (issue 10's figures) runs end to end at tiny sizes and refuses a real database."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Center
from leads.models import Child


@pytest.mark.django_db
def test_bench_privacy_prints_every_row():
    out = StringIO()
    call_command("bench_privacy", requests=3, families=5, leads=10, erasures=2, yes=True, stdout=out)
    table = out.getvalue()
    assert table.startswith(f"Database: {connection.vendor}")
    assert "Python " in table and "Django " in table
    for row in ("lead page", "API lead details", "CSV export"):
        line = next(line for line in table.splitlines() if line.startswith(row))
        assert line.count(" ms, ") == 3  # with the log, without it, and the difference
        assert "+1 q" in line  # one INSERT per request, nothing else
    for row in ("erase one family", "retention plan", "retention apply"):
        assert any(line.startswith(row) for line in table.splitlines()), row
    assert "5 due families" in table and "families/s" in table
    # Its own centers: the pages' one (two families erased by its admin) and retention's (all five).
    pages, kept = Center.objects.filter(code__startswith="BP").order_by("code")
    assert Child.objects.filter(center=pages, erased_at__isnull=False).count() == 2
    assert Child.objects.filter(center=kept, erased_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_bench_privacy_refuses_a_database_not_named_bench(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "NAME", "crm")
    with pytest.raises(CommandError, match="bench"):
        call_command("bench_privacy", requests=3, families=5, stdout=StringIO())
    assert not Center.objects.filter(code__startswith="BP").exists()
