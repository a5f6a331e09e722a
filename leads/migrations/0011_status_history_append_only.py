"""Status history refuses UPDATE and DELETE at the database, whichever client connects.

One exception, for erasure and retention: an UPDATE that changes nothing but `note` (the free
text a counselor typed, which may name the family) passes; every other column (the lead, the
statuses, the move, the actor, the time) is fixed once written, so every figure read from the
history stays the same. A no-op UPDATE passes too (clearing notes that are already empty).

The mechanism is the access log's (accounts/migrations/0004_accesslog_append_only.py): on SQLite
the DELETE trigger asks `crm_accesslog_flushing()` (accounts/append_only.py), so the test
runner's `flush` may empty the table; PostgreSQL flushes with TRUNCATE, which fires no row
trigger. A user is never deleted (admin has no delete), and the database agrees: deleting one
would null `actor_id` (SET_NULL), which the trigger refuses.

SQLite drops a table's triggers with the table: a later migration that rebuilds
leads_leadstatuschange on SQLite (most AlterField, AddField with a default) must create them
again (leads/tests/test_status_history_append_only.py fails until it does).
"""

from django.db import migrations

#: Every column but `note`: none may change.
FIXED = ["id", "lead_id", "from_status", "to_status", "action", "actor_id", '"at"']

POSTGRESQL_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION leads_leadstatuschange_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND ({", ".join(f"NEW.{c}" for c in FIXED)}) IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in FIXED)})
        THEN
            RETURN NEW;  -- only the note changed: erasure clearing free text
        END IF;
        RAISE EXCEPTION 'Status history is append-only: % refused (only the note may be cleared).', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    """
    CREATE TRIGGER leads_leadstatuschange_append_only
    BEFORE UPDATE OR DELETE ON leads_leadstatuschange
    FOR EACH ROW EXECUTE FUNCTION leads_leadstatuschange_append_only();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_leadstatuschange_append_only ON leads_leadstatuschange;",
    "DROP FUNCTION IF EXISTS leads_leadstatuschange_append_only();",
]

# SQLite's `UPDATE OF <columns>` fires when the statement sets any of them, even to the same
# value; Django's queryset.update(note=...) sets only `note`, and a model save() (which sets every
# column) is refused by the model before it gets here. The WHEN lets a no-op through.
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER leads_leadstatuschange_no_update
    BEFORE UPDATE OF {", ".join(FIXED)} ON leads_leadstatuschange
    WHEN ({", ".join(f"NEW.{c}" for c in FIXED)}) IS NOT ({", ".join(f"OLD.{c}" for c in FIXED)})
    BEGIN
        SELECT RAISE(ABORT, 'Status history is append-only: UPDATE refused (only the note may be cleared).');
    END;
    """,
    """
    CREATE TRIGGER leads_leadstatuschange_no_delete
    BEFORE DELETE ON leads_leadstatuschange
    WHEN NOT crm_accesslog_flushing()
    BEGIN
        SELECT RAISE(ABORT, 'Status history is append-only: DELETE refused.');
    END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS leads_leadstatuschange_no_update;",
    "DROP TRIGGER IF EXISTS leads_leadstatuschange_no_delete;",
]

SQL = {
    "postgresql": (POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD),
}


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)  # None: the "%" in the message is no placeholder


def forward(apps, schema_editor):
    # The product runs on PostgreSQL and SQLite only; another database would get no trigger.
    _run(schema_editor, SQL.get(schema_editor.connection.vendor, ([], []))[0])


def backward(apps, schema_editor):
    _run(schema_editor, SQL.get(schema_editor.connection.vendor, ([], []))[1])


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0010_erasure"),
        ("accounts", "0004_accesslog_append_only"),  # crm_accesslog_flushing()'s first user
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
