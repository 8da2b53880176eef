"""``python manage.py sla_sweep``: one breach-and-warning sweep now (the code the beat task runs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from sla.services import sla_sweep
from sla.services.sweep import BATCH_SIZE


class Command(BaseCommand):
    help = "Run one SLA sweep now: mark clocks at risk or breached and notify, exactly once per clock."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=f"Clocks per transaction (default {BATCH_SIZE}).")
        parser.add_argument("--linger", type=float, default=0.0,
                            help="Hold each batch's transaction open this many seconds (crash drills).")
        parser.add_argument("--time-budget", type=float, default=None, help="Stop between batches after N seconds.")

    def handle(self, *args, **options) -> None:
        if options["batch_size"] < 1:
            self.stderr.write("--batch-size must be at least 1")
            raise SystemExit(2)
        result = sla_sweep(batch_size=options["batch_size"], linger=options["linger"],
                           time_budget=options["time_budget"])
        self.stdout.write(f"breached={result.breached} warned={result.warned} batches={result.batches} "
                          f"emailed={result.emailed} complete={result.complete}")
