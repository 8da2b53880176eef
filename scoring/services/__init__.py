"""The writers of scoring: model versions, activation, rescoring one lead or many, the MQL triggers.

- ``scoring_model_create`` validates and stores a new version (never active on creation);
- ``scoring_model_activate`` makes a valid version the active one and starts the background rescore;
- ``lead_rescore`` recomputes one lead (on an event, a changed field, or by hand): writes the score and a
  ``ScoreChange`` row only when something changed, moves the lead to MQL through
  ``lifecycle.services.lead_transition`` when the score says so (trigger ``score``) or at once on a
  high-intent event (trigger ``high_intent_event``), and never moves a lead backwards;
- ``rescore_run_step`` advances one lane of a ``RescoreRun`` (activation, rescore of every lead, daily
  decay, dry run) by batches; each batch and the lane's cursor commit together, so a run resumes where it
  died; ``dry_run_start`` starts a dry run (counts only, writes no lead).

Lock order: the lane row (if any), then leads in ascending id, then the run row (``lead_transition`` then locks the same
lead again, in the same transaction).
"""

from scoring.services.rescoring import HIGH_INTENT_MAX_AGE, RescoreOutcome, lead_rescore
from scoring.services.runs import (
    BATCH_SIZE,
    decay_sweep_start,
    dry_run_start,
    rescore_all_start,
    rescore_run_batch,
    rescore_run_step,
    stalled_runs_claim,
)
from scoring.services.versions import invalid_model_error, scoring_model_activate, scoring_model_create

__all__ = [
    "BATCH_SIZE", "HIGH_INTENT_MAX_AGE", "RescoreOutcome", "decay_sweep_start", "dry_run_start", "invalid_model_error",
    "lead_rescore",
    "rescore_all_start", "rescore_run_batch", "rescore_run_step", "scoring_model_activate", "scoring_model_create",
    "stalled_runs_claim",
]
