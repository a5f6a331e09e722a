"""For the tests of data migrations: move the database to given migrations and back to the newest."""

from contextlib import contextmanager

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to `targets` ([(app, migration), ...]); returns the historical apps there."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@contextmanager
def newest_afterwards():
    """Yield the newest migrations (leaf nodes), and go back to them whatever the test did."""
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield leaf
    finally:
        migrate(leaf)
