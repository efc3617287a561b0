"""On PostgreSQL, make ``ops_auditentry`` append-only in the database too.

The ORM already refuses updates and deletes; this trigger also stops raw SQL from
the application's own connection. The one sanctioned delete (retention purge)
sets ``mall.audit_purge = 'on'`` for its transaction. A database superuser can
still bypass triggers — that is what the hash chain and ``audit_verify`` catch.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION ops_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('mall.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'ops_auditentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS ops_auditentry_append_only ON ops_auditentry;
CREATE TRIGGER ops_auditentry_append_only
    BEFORE UPDATE OR DELETE ON ops_auditentry
    FOR EACH ROW EXECUTE FUNCTION ops_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS ops_auditentry_append_only ON ops_auditentry;
DROP FUNCTION IF EXISTS ops_auditentry_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("ops", "0004_one_pending_parameter_request")]
    operations = [migrations.RunPython(create, drop)]
