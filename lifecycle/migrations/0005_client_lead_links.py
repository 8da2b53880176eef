# Issue 7: an API client sees only the leads it is linked to (created, external id, written by email).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import leadops.clock


class Migration(migrations.Migration):

    dependencies = [
        ("lifecycle", "0004_saved_views"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ClientLead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(default=leadops.clock.now, editable=False)),
                ("client", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to=settings.AUTH_USER_MODEL)),
                ("lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="client_links",
                                           to="lifecycle.lead")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("client", "lead"), name="client_lead_unique")],
            },
        ),
        # every external id held so far is a link
        migrations.RunSQL(
            "INSERT INTO lifecycle_clientlead (client_id, lead_id, created_at) "
            "SELECT client_id, lead_id, now() FROM lifecycle_leadexternalid ON CONFLICT DO NOTHING",
            migrations.RunSQL.noop,
        ),
    ]
