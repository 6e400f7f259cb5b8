# The stories' table gets autovacuum settings of its own, as 0013 gave the tag links and the
# pairs. PostgreSQL's defaults wait for a fifth of a table's rows to be dead before vacuuming
# it, and a tenth to be changed before analysing it: at a million stories, 200,000 dead rows
# and 100,000 changes. A newsroom's day is a few hundred stories written and edited a few
# times each (every save leaves a dead row), so with the defaults the table would be
# vacuumed every few months and its statistics (how many stories are published, the newest
# publication times the home page and the tag pages look for) would age for weeks. Here:
# vacuumed after 1% of the rows are dead (10,000 at a million, a bulk action or a few weeks
# of editing), analysed after 0.5% have changed (5,000), and vacuumed after 1% of new rows
# too (new stories' pages marked all-visible for the index-only scans), plus a floor of a
# thousand rows, so that a small newsroom's table is not processed for every few edits.
# Bulk operations analyse the tables they change themselves (articles/maintenance.py).

from django.db import migrations

SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0.01",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0.01",
    "autovacuum_vacuum_insert_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.005",
    "autovacuum_analyze_threshold": "1000",
}

FORWARD = "ALTER TABLE articles_article SET ({});".format(
    ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
)
BACKWARD = "ALTER TABLE articles_article RESET ({});".format(", ".join(SETTINGS))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0016_chiefs_unlock_accounts"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
