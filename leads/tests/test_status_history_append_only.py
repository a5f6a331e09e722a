"""Status history is append-only in the database: raw SQL cannot rewrite or remove a row, except
erasure's clearing of the free-text `note` (migration 0011's triggers, PostgreSQL and SQLite)."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import User
from leads.models import LeadStatusChange
from leads.tests.factories import make_lead


def _raw(sql: str, *params) -> int:
    # Raw SQL through the connection: what any client of the database could send, past the ORM.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


@pytest.fixture
def row(c, lead) -> LeadStatusChange:
    return lead.status_changes.get()


@pytest.mark.parametrize(
    "column, value",
    [("to_status", "CLOSED_LOST"), ("from_status", "IV_SCHEDULED"), ("action", "close"), ("at", "2020-01-01")],
)
def test_an_update_of_a_history_column_is_refused_by_the_database(row, column, value):
    before = LeadStatusChange.objects.filter(pk=row.pk).values().get()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f'UPDATE leads_leadstatuschange SET "{column}" = %s WHERE id = %s', value, row.pk)
    assert LeadStatusChange.objects.filter(pk=row.pk).values().get() == before


def test_an_update_of_the_note_with_another_column_is_refused(row):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE leads_leadstatuschange SET note = '', to_status = 'CLOSED_LOST' WHERE id = %s", row.pk)
    assert LeadStatusChange.objects.get(pk=row.pk).to_status == row.to_status


def test_the_actor_and_lead_cannot_be_rewritten(c, b, row):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE leads_leadstatuschange SET actor_id = %s WHERE id = %s", b.admin.pk, row.pk)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE leads_leadstatuschange SET actor_id = NULL WHERE id = %s", row.pk)
    other = make_lead(b.center, b.counselor)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE leads_leadstatuschange SET lead_id = %s WHERE id = %s", other.pk, row.pk)
    assert LeadStatusChange.objects.get(pk=row.pk).actor_id == c.counselor.pk


def test_a_delete_is_refused_by_the_database(row):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM leads_leadstatuschange WHERE id = %s", row.pk)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM leads_leadstatuschange")
    assert LeadStatusChange.objects.filter(pk=row.pk).exists()


def test_an_update_of_only_the_note_works(row):
    assert _raw("UPDATE leads_leadstatuschange SET note = 'typed by mistake: Asha, 98100' WHERE id = %s", row.pk) == 1
    assert _raw("UPDATE leads_leadstatuschange SET note = '' WHERE id = %s", row.pk) == 1
    assert _raw("UPDATE leads_leadstatuschange SET note = '' WHERE id = %s", row.pk) == 1  # a no-op passes too
    after = LeadStatusChange.objects.get(pk=row.pk)
    assert after.note == "" and (after.to_status, after.action, after.actor_id, after.at) == (
        row.to_status,
        row.action,
        row.actor_id,
        row.at,
    )


def test_clear_notes_is_the_orms_one_write(c, lead):
    lead.close(reason="Mother Asha said no, call 98100 55501", by=c.counselor)
    assert lead.status_changes.exclude(note="").exists()

    assert lead.status_changes.clear_notes() == 2

    assert not lead.status_changes.exclude(note="").exists()
    with pytest.raises(TypeError):
        lead.status_changes.update(to_status="ENQUIRY_RECEIVED")


def test_a_user_with_history_cannot_be_deleted_even_past_admin(c, lead):
    # Staff are deactivated, never deleted: deleting would null the history's actor, which the
    # database refuses, so the person stays. (The admin is the actor of the close, nothing else.)
    lead.close(reason="Moved away", by=c.admin)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        User.objects.filter(pk=c.admin.pk).delete()
    assert User.objects.filter(pk=c.admin.pk).exists()
    assert lead.status_changes.last().actor_id == c.admin.pk


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_still_empties_the_history_after_a_transactional_test(c):
    # Leaves history rows behind: the flush at this test's end must remove them (TRUNCATE on
    # PostgreSQL; on SQLite a DELETE that conftest's flag lets through), or teardown errors.
    make_lead(c.center, c.counselor)
    assert LeadStatusChange.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_and_the_next_transactional_test_starts_empty():
    assert not LeadStatusChange.objects.exists()
