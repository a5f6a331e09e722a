"""Follow-ups carry a time of day: `scheduled_date` becomes a date-time.

Existing dates become 10:00 local time in each lead's center (FOLLOW_UP_DEFAULT_TIME), copied
through a new column in Python so that it works the same on SQLite and PostgreSQL (a cast would
read the date at midnight UTC). Reversible: back to the local calendar day.
"""

import datetime
import zoneinfo

from django.db import migrations, models

TEN_AM = datetime.time(10, 0)  # a copy of leads.lifecycle.FOLLOW_UP_DEFAULT_TIME, frozen with this migration


def dates_to_local_ten_am(apps, schema_editor):
    FollowUp = apps.get_model("leads", "FollowUp")
    batch = []
    for row in FollowUp.objects.values("pk", "scheduled_date", "lead__center__timezone").iterator(chunk_size=2000):
        tz = zoneinfo.ZoneInfo(row["lead__center__timezone"])
        batch.append(FollowUp(pk=row["pk"], scheduled_at=datetime.datetime.combine(row["scheduled_date"], TEN_AM, tz)))
        if len(batch) >= 2000:
            FollowUp.objects.bulk_update(batch, ["scheduled_at"])
            batch = []
    FollowUp.objects.bulk_update(batch, ["scheduled_at"])


def datetimes_to_local_dates(apps, schema_editor):
    FollowUp = apps.get_model("leads", "FollowUp")
    batch = []
    for row in FollowUp.objects.values("pk", "scheduled_at", "lead__center__timezone").iterator(chunk_size=2000):
        tz = zoneinfo.ZoneInfo(row["lead__center__timezone"])
        batch.append(FollowUp(pk=row["pk"], scheduled_date=row["scheduled_at"].astimezone(tz).date()))
        if len(batch) >= 2000:
            FollowUp.objects.bulk_update(batch, ["scheduled_date"])
            batch = []
    FollowUp.objects.bulk_update(batch, ["scheduled_date"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_followups_center_interval"),
        ("leads", "0003_parent_phone_e164"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="followup", name="follow_up_pending_queue"),
        migrations.AlterField(model_name="followup", name="scheduled_date", field=models.DateField(null=True)),
        migrations.AddField(model_name="followup", name="scheduled_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(dates_to_local_ten_am, datetimes_to_local_dates, elidable=False),
        migrations.RemoveField(model_name="followup", name="scheduled_date"),
        migrations.RenameField(model_name="followup", old_name="scheduled_at", new_name="scheduled_date"),
        migrations.AlterField(model_name="followup", name="scheduled_date", field=models.DateTimeField()),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("status", "PENDING")),
                fields=["assigned_to", "scheduled_date"],
                name="follow_up_pending_queue",
            ),
        ),
        migrations.AddField(
            model_name="followup",
            name="next_follow_up",
            field=models.OneToOneField(
                blank=True,
                editable=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="previous",
                to="leads.followup",
            ),
        ),
    ]
