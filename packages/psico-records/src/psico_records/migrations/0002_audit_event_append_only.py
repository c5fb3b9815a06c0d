"""On PostgreSQL, the database itself refuses to change or delete an audit event, whatever
client asks (a shell, a script, another application on the same database). Other databases
rely on the model's and queryset's refusals. TRUNCATE stays possible: it needs the table's
owner, and test runners empty tables with it between tests."""

from django.db import migrations

CREATE = """
CREATE FUNCTION psico_records_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'psico_records_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER psico_records_audit_event_append_only
    BEFORE UPDATE OR DELETE ON psico_records_auditevent
    FOR EACH ROW EXECUTE FUNCTION psico_records_audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS psico_records_audit_event_append_only ON psico_records_auditevent;
DROP FUNCTION IF EXISTS psico_records_audit_event_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("psico_records", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
