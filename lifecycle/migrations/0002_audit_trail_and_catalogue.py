"""The audit trail is append-only in the database itself, and the default catalogues are seeded."""

from django.db import migrations

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION lifecycle_transition_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lifecycle_stagetransition is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lifecycle_transition_append_only
    BEFORE UPDATE OR DELETE ON lifecycle_stagetransition
    FOR EACH ROW EXECUTE FUNCTION lifecycle_transition_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS lifecycle_transition_append_only ON lifecycle_stagetransition;
DROP FUNCTION IF EXISTS lifecycle_transition_append_only();
"""

def seed(apps, schema_editor):
    from lifecycle.catalogue import ensure_defaults

    ensure_defaults(
        apps.get_model("lifecycle", "DispositionReason"),
        apps.get_model("lifecycle", "TouchChannel"),
        apps.get_model("lifecycle", "TouchOutcome"),
    )


class Migration(migrations.Migration):
    dependencies = [("lifecycle", "0001_initial")]

    operations = [
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
