"""Audit entries are chained after commit by a sealer instead of under a head lock.

* ``seq`` becomes empty until an entry is sealed; ``key_id`` and ``sealed_at`` say
  which HMAC key sealed it and when. Entries written before this migration keep
  their SHA-256 chain and are marked ``key_id = 'sha256'`` (filled by the column
  default while it is added, so no row is updated), and ``audit_verify`` checks them
  the old way; they can only form the chain's start.
* ``AuditChainHead.first_seq`` records the first sequence number kept after the
  retention purges (so a purge is told apart from a deleted prefix).
* On PostgreSQL the append-only trigger (0005) now also lets the sealer fill the seal
  columns, once, from empty, with ``mall.audit_seal = 'on'`` set for its transaction
  and every other column unchanged.
"""

from django.db import migrations, models

SEAL_COLUMNS = "ARRAY['seq', 'prev_hash', 'hash', 'key_id', 'sealed_at']"

TRIGGER = f"""
CREATE OR REPLACE FUNCTION ops_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('mall.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
        AND current_setting('mall.audit_seal', true) = 'on'
        AND OLD.seq IS NULL AND OLD.sealed_at IS NULL AND OLD.hash = ''
        AND NEW.seq IS NOT NULL AND NEW.sealed_at IS NOT NULL
        AND NEW.hash <> '' AND NEW.key_id <> ''
        AND (to_jsonb(NEW) - {SEAL_COLUMNS}) = (to_jsonb(OLD) - {SEAL_COLUMNS})
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'ops_auditentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS_TRIGGER = """
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
"""


def seal_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER)


def previous_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS_TRIGGER)


def record_first_seq(apps, schema_editor):
    AuditEntry = apps.get_model("ops", "AuditEntry")
    AuditChainHead = apps.get_model("ops", "AuditChainHead")
    first = AuditEntry.objects.filter(seq__isnull=False).order_by("seq").first()
    if first is not None:
        AuditChainHead.objects.filter(pk=1).update(first_seq=first.seq)


class Migration(migrations.Migration):
    dependencies = [("ops", "0005_audit_append_only_trigger")]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={
                "ordering": ["-id"],
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit log",
            },
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="first_seq",
            field=models.PositiveBigIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Existing rows get 'sha256' (the legacy chain) from the default; new rows ''.
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(
                blank=True, default="sha256", max_length=32, verbose_name="key id"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sealed at"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, max_length=64, verbose_name="hash"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(
                blank=True, null=True, unique=True, verbose_name="sequence"
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["id"],
                name="ops_audit_unsealed_idx",
            ),
        ),
        migrations.RunPython(record_first_seq, migrations.RunPython.noop),
        migrations.RunPython(seal_trigger, previous_trigger),
    ]
