"""On PostgreSQL, make overlapping active appointments of one professional impossible.

The booking service already refuses overlaps and serialises bookings per professional; this
exclusion constraint is the last line of defence should anything write to the table without
going through it. Other databases have no equivalent, so there the migration does nothing.
"""

from django.db import migrations

CONSTRAINT = "psico_scheduling_no_overlapping_appointments"
TABLE = "psico_scheduling_appointment"


def add_exclusion_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist lets a GiST index mix the professional's id (=) with the time range (&&).
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist ("
        " psychologist_id WITH =,"
        " tstzrange(start, \"end\", '[)') WITH &&"
        ") WHERE (status <> 'cancelled')"
    )


def drop_exclusion_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [
        ("psico_scheduling", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_exclusion_constraint, drop_exclusion_constraint, elidable=False),
    ]
