"""python manage.py rescore [--all] [--lead ID ...] [--background]

- ``--lead ID`` (repeatable): rescore those leads now;
- ``--all``: rescore every lead with the active version, in batches, printing progress (or, with
  ``--background``, hand the run to the workers);
- neither: run today's decay sweep now (what the daily beat task does), in this process.

The same services the workers run; an interrupted run resumes from its cursor (the next
``rescore`` without arguments continues today's sweep, ``resume_stalled_runs`` any other run).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from leadops.errors import DomainError
from scoring import services
from scoring.models import RescoreRun, RunStatus, ScoreReason


class Command(BaseCommand):
    help = "Recompute lead scores: given leads, every lead (--all), or today's decay sweep (no arguments)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="rescore every lead with the active version")
        parser.add_argument("--lead", type=int, action="append", default=[], help="a lead id (repeatable)")
        parser.add_argument("--background", action="store_true", help="with --all: let the workers do it")
        parser.add_argument("--batch-size", type=int, default=None, help=f"default {services.BATCH_SIZE}")

    def handle(self, *args, **opts):
        try:
            if opts["lead"]:
                for lead_id in opts["lead"]:
                    outcome = services.lead_rescore(lead_id=lead_id, reason=ScoreReason.MANUAL)
                    if outcome is None:
                        self.stderr.write(f"lead {lead_id}: not found")
                        continue
                    moved = f", became MQL ({outcome.trigger})" if outcome.became_mql else ""
                    self.stdout.write(f"lead {lead_id}: {outcome.old} -> {outcome.new}{moved}")
                return
            if opts["all"]:
                run = services.rescore_all_start(background=opts["background"])
                if opts["background"]:
                    self.stdout.write(f"run {run.pk} queued: {run.total} leads")
                    return
            else:
                found = services.decay_sweep_start()
                if found is None:
                    raise CommandError("There is no active scoring model.")
                run = found
            self._drive(run, opts["batch_size"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc

    def _drive(self, run: RescoreRun, batch_size: int) -> None:
        shown = -10.0
        while run.status == RunStatus.RUNNING:
            run = services.rescore_run_batch(run_id=run.pk, batch_size=batch_size)
            if run.percent - shown >= 10 and run.status == RunStatus.RUNNING:  # a line per tenth
                shown = run.percent
                self.stdout.write(f"{run.get_kind_display()}: {run.done} / {run.total} ({run.percent:g} %)")
        self.stdout.write(f"run {run.pk} {run.get_status_display().lower()}: {run.done} leads visited, "
                          f"{run.changed} changed, {run.promoted} became MQL")
