"""The access log is append-only in the database too (migration 0004's triggers).

PostgreSQL: a trigger refuses every UPDATE and every DELETE of a row younger than 365 days.
SQLite: the same two triggers; the DELETE one asks `crm_accesslog_flushing()`, a function this
module registers on every SQLite connection, so that one caller may empty the table: the test
runner's `flush` between transactional tests (PostgreSQL flushes with TRUNCATE, which fires no
row trigger). Nothing in the product sets the flag; see conftest.py. Status history
(leads_leadstatuschange, leads migration 0011) asks the same function in its DELETE trigger.

SQLite drops a table's triggers with the table: a later migration that rebuilds
accounts_accesslog on SQLite (most AlterField) must create them again (the trigger tests fail
until it does).
"""

from __future__ import annotations

import contextlib
import contextvars

_flushing = contextvars.ContextVar("accesslog_flushing", default=False)


@contextlib.contextmanager
def flushing_access_log():
    """Let this thread's SQLite DELETEs empty the access log (the test runner's flush only)."""
    token = _flushing.set(True)
    try:
        yield
    finally:
        _flushing.reset(token)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: the function the SQLite DELETE trigger calls."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "crm_accesslog_flushing", 0, lambda: int(_flushing.get()), deterministic=False
        )
