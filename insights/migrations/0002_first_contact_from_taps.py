"""Taps on call / WhatsApp links count for the lead's first contact: fold the logged ones in."""

from django.db import migrations


def backfill_first_contact(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE leads_lead SET first_contact_at = a.first_at
            FROM (SELECT lead_id, MIN(at) AS first_at FROM insights_contactattempt GROUP BY lead_id) a
            WHERE a.lead_id = leads_lead.id
                AND (leads_lead.first_contact_at IS NULL OR leads_lead.first_contact_at > a.first_at)
            """
        )


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("leads", "0002_lead_milestones"),
    ]

    operations = [migrations.RunPython(backfill_first_contact, migrations.RunPython.noop, elidable=True)]
