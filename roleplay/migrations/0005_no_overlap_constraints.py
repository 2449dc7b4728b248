"""Invariant 1 in the database: nobody and no room in two overlapping active sessions.

PostgreSQL only (exclusion constraints over tstzrange, with btree_gist for the `=` part). SQLite,
used by `make run`, has no such constraint; there the booking service checks inside an IMMEDIATE
transaction, which serialises writers."""

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE roleplay_sessionseat ADD CONSTRAINT seat_no_overlap
       EXCLUDE USING gist (user_id WITH =, tstzrange(start, "end", '[)') WITH &&)
       WHERE (active)""",
    """ALTER TABLE roleplay_session ADD CONSTRAINT room_no_overlap
       EXCLUDE USING gist (room_id WITH =, tstzrange(start, "end", '[)') WITH &&)
       WHERE (status = 'scheduled' AND room_id IS NOT NULL)""",
]
DROP = [
    "ALTER TABLE roleplay_session DROP CONSTRAINT IF EXISTS room_no_overlap",
    "ALTER TABLE roleplay_sessionseat DROP CONSTRAINT IF EXISTS seat_no_overlap",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("roleplay", "0004_sessions")]
    operations = [migrations.RunPython(run(CREATE), run(DROP))]
