"""The access log is append-only in the database: raw SQL cannot rewrite or remove a recent row."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import AccessAction, AccessLog


def _row(*, days_ago: int = 0) -> AccessLog:
    return AccessLog.objects.create(
        at=timezone.now() - datetime.timedelta(days=days_ago),
        action=AccessAction.VIEW,
        object_type="lead",
        object_id="1",
    )


def _raw(sql: str, pk: int) -> None:
    # Raw SQL through the connection: what any client of the database could send, past the ORM.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [pk])


def test_an_update_is_refused_by_the_database(db):
    row = _row(days_ago=400)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE accounts_accesslog SET detail = 'rewritten' WHERE id = %s", row.pk)
    assert AccessLog.objects.get(pk=row.pk).detail == ""


def test_deleting_a_recent_row_is_refused_by_the_database(db):
    row = _row(days_ago=364)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM accounts_accesslog WHERE id = %s", row.pk)
    assert AccessLog.objects.filter(pk=row.pk).exists()


def test_a_row_over_a_year_old_can_be_deleted(db):
    old, recent = _row(days_ago=366), _row()
    _raw("DELETE FROM accounts_accesslog WHERE id = %s", old.pk)
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]


def test_emptying_the_table_is_refused_while_it_holds_recent_rows(db):
    _row(days_ago=400)
    _row()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_accesslog")
    assert AccessLog.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_still_empties_the_table_after_a_transactional_test():
    # Leaves recent rows behind: the flush at this test's end must remove them (TRUNCATE on
    # PostgreSQL; on SQLite a DELETE that conftest's flag lets through), or teardown errors.
    _row()
    _row()
    assert AccessLog.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_and_the_next_transactional_test_starts_empty():
    assert not AccessLog.objects.exists()


# -- the ORM refuses too, with one narrow way to prune -------------------------------------------


def test_the_orm_refuses_update_save_and_delete(db):
    row = _row()
    with pytest.raises(TypeError, match="append-only"):
        AccessLog.objects.filter(pk=row.pk).update(detail="x")
    with pytest.raises(TypeError, match="append-only"):
        AccessLog.objects.all().delete()
    row.detail = "x"
    with pytest.raises(TypeError, match="append-only"):
        row.save()
    with pytest.raises(TypeError, match="append-only"):
        row.delete()
    assert AccessLog.objects.get(pk=row.pk).detail == ""


def test_prune_older_than_removes_only_rows_past_the_cutoff(db):
    _row(days_ago=800)
    old, recent = _row(days_ago=400), _row(days_ago=10)
    assert AccessLog.objects.prune_older_than(timezone.now() - datetime.timedelta(days=700)) == 1
    assert set(AccessLog.objects.values_list("pk", flat=True)) == {old.pk, recent.pk}
    assert AccessLog.objects.prune_older_than(timezone.now() - datetime.timedelta(days=395)) == 1
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]


def test_prune_refuses_a_cutoff_inside_the_year(db):
    _row(days_ago=100)
    with pytest.raises(ValueError, match="365 days"):
        AccessLog.objects.prune_older_than(timezone.now() - datetime.timedelta(days=30))
    assert AccessLog.objects.count() == 1
