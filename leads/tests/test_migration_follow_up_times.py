"""Migration 0004: existing follow-up dates become 10:00 in each lead's center's clock (and back)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("leads", "0003_parent_phone_e164"), ("accounts", "0001_initial")]
AFTER = [("leads", "0004_followups_scheduled_datetime")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_dates_become_ten_in_the_morning_in_each_centers_time_zone():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        Center, User = old.get_model("accounts", "Center"), old.get_model("accounts", "User")
        Child, Lead = old.get_model("leads", "Child"), old.get_model("leads", "Lead")
        FollowUp = old.get_model("leads", "FollowUp")
        by = User.objects.create(username="m", role="SUPER_ADMIN")
        day = datetime.date(2026, 3, 10)
        ids = {}
        for code, tz in (("GURG", "Asia/Kolkata"), ("NYCC", "America/New_York")):
            center = Center.objects.create(name=code, code=code, timezone=tz)
            child = Child.objects.create(center=center, first_name="A", dob=datetime.date(2021, 1, 1), gender="Girl")
            lead = Lead.objects.create(
                center=center, child=child, enquiry_id=f"{code}0001", status="FOLLOW_UP_PENDING", created_by=by
            )
            ids[code] = FollowUp.objects.create(lead=lead, scheduled_date=day).pk

        new = _migrate(AFTER)
        moved = {f.pk: f.scheduled_date for f in new.get_model("leads", "FollowUp").objects.all()}
        utc = datetime.UTC
        assert moved[ids["GURG"]] == datetime.datetime(2026, 3, 10, 4, 30, tzinfo=utc)  # 10:00 IST
        assert moved[ids["NYCC"]] == datetime.datetime(2026, 3, 10, 14, 0, tzinfo=utc)  # 10:00 EDT

        back = _migrate(BEFORE)
        assert set(back.get_model("leads", "FollowUp").objects.values_list("scheduled_date", flat=True)) == {day}
    finally:
        _migrate(leaf)
