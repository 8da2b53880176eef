# Lead types become an admin-editable catalogue (domain.md section 3 marks them *(config)*); docs/lifecycle.md,
# "The lead-type catalogue". The lead keeps the code in its CharField (no foreign key, no database choices).

from django.db import migrations, models


def seed(apps, schema_editor):
    from lifecycle.catalogue import ensure_lead_types

    ensure_lead_types(apps.get_model("lifecycle", "LeadTypeOption"))


class Migration(migrations.Migration):

    dependencies = [
        ("lifecycle", "0005_client_lead_links"),
    ]

    operations = [
        migrations.CreateModel(
            name="LeadTypeOption",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(help_text="Stored on leads; cannot change once used.", max_length=24,
                                          unique=True)),
                ("label", models.CharField(max_length=80)),
                ("active", models.BooleanField(default=True, help_text="Retired (false): refused for new writes.")),
                ("position", models.PositiveSmallIntegerField(default=0, help_text="Sort order.")),
            ],
            options={
                "verbose_name": "lead type",
                "ordering": ["position", "code"],
            },
        ),
        migrations.AlterField(
            model_name="lead",
            name="lead_type",
            field=models.CharField(default="new_business",
                                   help_text="A code of the lead-type catalogue (GET /api/v1/lead-types/).",
                                   max_length=24),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
