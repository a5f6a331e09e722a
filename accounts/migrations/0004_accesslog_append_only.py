"""The access log refuses UPDATE and DELETE at the database; DELETE of rows over 365 days old passes.

The retention command prunes what is older than the center's period (at least 13 months) and
nothing else can rewrite or remove a row, whichever client connects. See accounts/append_only.py
for SQLite's `crm_accesslog_flushing()` (the test runner's flush) and for rebuilt tables.
"""

from django.db import migrations

POSTGRESQL_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION accounts_accesslog_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD."at" < now() - interval '365 days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'The access log is append-only: % refused (rows can be deleted once over 365 days old).', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$;
    """,
    """
    CREATE TRIGGER accounts_accesslog_append_only
    BEFORE UPDATE OR DELETE ON accounts_accesslog
    FOR EACH ROW EXECUTE FUNCTION accounts_accesslog_append_only();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS accounts_accesslog_append_only ON accounts_accesslog;",
    "DROP FUNCTION IF EXISTS accounts_accesslog_append_only();",
]

# Django stores SQLite datetimes as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]', which compares in
# time order with datetime('now', ...)'s 'YYYY-MM-DD HH:MM:SS' (also UTC).
SQLITE_FORWARD = [
    """
    CREATE TRIGGER accounts_accesslog_no_update
    BEFORE UPDATE ON accounts_accesslog
    BEGIN
        SELECT RAISE(ABORT, 'The access log is append-only: UPDATE refused.');
    END;
    """,
    """
    CREATE TRIGGER accounts_accesslog_no_delete
    BEFORE DELETE ON accounts_accesslog
    WHEN OLD."at" >= datetime('now', '-365 days') AND NOT crm_accesslog_flushing()
    BEGIN
        SELECT RAISE(ABORT, 'The access log is append-only: DELETE refused (rows can be deleted once over 365 days old).');
    END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS accounts_accesslog_no_update;",
    "DROP TRIGGER IF EXISTS accounts_accesslog_no_delete;",
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
        ("accounts", "0003_access_log"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
