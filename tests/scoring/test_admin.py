"""The admin: versions read-only with an activation action, rescore runs with their progress."""

from __future__ import annotations

from django.test import Client

from scoring import services
from scoring.models import RescoreRun, ScoringModel
from tests.scoring.test_runs import v2_rules


def test_the_admin_shows_versions_and_run_progress_and_activates(org, make_lead, django_capture_on_commit_callbacks):
    make_lead()
    v2 = services.scoring_model_create(**v2_rules(), name="Lower bar")
    client = Client()
    client.force_login(org.admin)

    page = client.get("/admin/scoring/scoringmodel/")
    assert page.status_code == 200 and "Lower bar" in page.content.decode()
    assert client.get(f"/admin/scoring/scoringmodel/{v2.pk}/change/").status_code == 200
    assert client.get("/admin/scoring/scoringmodel/add/").status_code == 403  # versions come from the API

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/admin/scoring/scoringmodel/", {"action": "activate", "_selected_action": [v2.pk]},
                             follow=True)

    assert "rescore started" in answer.content.decode()
    assert ScoringModel.objects.get(is_active=True) == v2
    run = RescoreRun.objects.get(model=v2)
    runs = client.get("/admin/scoring/rescorerun/").content.decode()
    assert f"{run.done} / {run.total} (100 %)" in runs
    assert client.get(f"/admin/scoring/rescorerun/{run.pk}/change/").status_code == 200
    assert client.get("/admin/scoring/scorechange/").status_code == 200
    assert client.get("/admin/scoring/highintentsignal/").status_code == 200


def test_the_admin_starts_a_dry_run_and_shows_its_result(org, make_lead, django_capture_on_commit_callbacks):
    from tests.scoring.conftest import GOOD_FIT

    make_lead(source="webinar", **GOOD_FIT)  # 45: an MQL under a threshold of 40
    make_lead(source="referral")
    v2 = services.scoring_model_create(**v2_rules(threshold=40), name="Lower bar")
    client = Client()
    client.force_login(org.admin)

    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/admin/scoring/scoringmodel/", {"action": "dry_run", "_selected_action": [v2.pk]},
                             follow=True)

    assert "dry run started" in answer.content.decode()
    run = RescoreRun.objects.get(model=v2, kind="dry_run")
    assert "1 of 2 (webinar 1)" in client.get("/admin/scoring/rescorerun/").content.decode()
    assert "1 of 2 (webinar 1)" in client.get(f"/admin/scoring/rescorerun/{run.pk}/change/").content.decode()
    assert ScoringModel.objects.get(is_active=True).version == 1
