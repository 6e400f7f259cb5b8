"""The planner's statistics after bulk writes: the tables a bulk operation changed are
analysed as soon as it commits.

A merge of big tags or a bulk publication changes more rows in one go than a day of
editing; autovacuum would analyse the tables only once a share of their rows has changed
(migrations 0013 and 0017), maybe hours later, and until then the planner plans the tag
pages with the old numbers. ANALYZE reads a sample of a table (30,000 rows with the default
statistics target), well under a second at a million stories, and it blocks neither
readers nor writers. Vacuuming (the dead rows, the pages' visibility) stays autovacuum's.
"""

from django.core import checks
from django.db import DatabaseError, connections, router, transaction


def analyze(*models, using=None):
    """ANALYZE the tables of ``models`` now."""
    using = using or router.db_for_write(models[0])
    connection = connections[using]
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    if connection.in_atomic_block:
        # Not inside a transaction that may still roll back: ANALYZE writes the tables' row
        # estimates in place (pg_class), which a rollback keeps while it drops the
        # statistics. The callers run it once their transaction has committed.
        return
    with connection.cursor() as cursor:
        # A connection sends PostgreSQL its counts of changed rows at most once a second:
        # the changes it has just committed, sent after the ANALYZE, would count as
        # changed since. Sent now, at the end of this statement (PostgreSQL 15 or newer).
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(f"ANALYZE {tables}")


def analyze_after_commit(*models, using=None):
    """ANALYZE the tables of ``models`` once the current transaction commits (at once
    outside one). A failed ANALYZE is logged: the operation itself is done by then."""
    using = using or router.db_for_write(models[0])
    transaction.on_commit(lambda: analyze(*models, using=using), using=using, robust=True)


@checks.register(checks.Tags.database)
def autovacuum_is_on(app_configs=None, databases=None, **kwargs):
    """articles.W001: the server vacuums nothing by itself.

    The tables' own autovacuum settings (migrations 0013 and 0017) and this module leave
    vacuuming to autovacuum; with it off, the dead rows of every edit and bulk change stay
    and the tag pages slow down. A database check: ``manage.py check --database default``
    and ``migrate`` run it. A server out of reach is the health check's business.
    """
    warnings = []
    for alias in databases or ():
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SHOW autovacuum")
                (setting,) = cursor.fetchone()
        except DatabaseError:
            continue
        if setting != "on":
            warnings.append(
                checks.Warning(
                    f"autovacuum is {setting} on the PostgreSQL server of the {alias!r} "
                    "database: dead rows are never cleared and the tag pages slow down.",
                    hint="Set autovacuum = on in postgresql.conf (it is on by default), "
                    "or VACUUM (ANALYZE) the tables on a schedule.",
                    id="articles.W001",
                )
            )
    return warnings
