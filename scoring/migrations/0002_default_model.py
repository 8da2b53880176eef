"""Seed the default scoring model (version 1, active): domain.md section 5's example numbers."""

from django.db import migrations


def seed(apps, schema_editor):
    from scoring.defaults import ensure_default_model

    ensure_default_model(
        apps.get_model("scoring", "ScoringModel"),
        apps.get_model("scoring", "FitRule"),
        apps.get_model("scoring", "BehaviourRule"),
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
