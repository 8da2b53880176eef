"""Drop five indexes of the lead table that another index already covers (every insert and every non-HOT
update of a lead wrote them): two exact copies of the foreign keys' own indexes (account, first campaign),
and the single-column indexes of owner, team and latest campaign, each the leading column of a composite
index (lead_owner_stage, lead_team_stage, lead_campaign_stage) that serves their lookups.

Only the indexes go: the state change would also drop and re-add the foreign-key constraints (a validating
scan of the table each); the database step is plain DROP INDEX."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


INDEXES = {
    "lead_first_campaign": "first_campaign_id",
    "lead_account": "account_id",
    "lifecycle_lead_latest_campaign_id_ab2c4d14": "latest_campaign_id",
    "lifecycle_lead_owner_id_3047e684": "owner_id",
    "lifecycle_lead_team_id_bd0f1818": "team_id",
}


class Migration(migrations.Migration):

    dependencies = [
        ('leadops', '0003_team_calendar'),
        ('lifecycle', '0006_lead_type_catalogue'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(
                    model_name='lead',
                    name='lead_first_campaign',
                ),
                migrations.RemoveIndex(
                    model_name='lead',
                    name='lead_account',
                ),
                migrations.AlterField(
                    model_name='lead',
                    name='latest_campaign',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='latest_touch_leads', to='lifecycle.campaign'),
                ),
                migrations.AlterField(
                    model_name='lead',
                    name='owner',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='owned_leads', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='lead',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='leads', to='leadops.team'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[f"DROP INDEX IF EXISTS {name}" for name in INDEXES],
                    reverse_sql=[f"CREATE INDEX IF NOT EXISTS {name} ON lifecycle_lead ({column})"
                                 for name, column in INDEXES.items()],
                ),
            ],
        ),
    ]
