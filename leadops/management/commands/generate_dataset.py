"""python manage.py generate_dataset --leads 1000000 --seed 1 [--reset]: the benchmark dataset (bench/generator.py)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Generate a realistic, seeded lead-management dataset with PostgreSQL COPY (see docs/performance.md)."

    def add_arguments(self, parser):
        parser.add_argument("--leads", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reset", action="store_true", help="truncate the lead and history tables first")
        parser.add_argument("--end", type=dt.date.fromisoformat, default=None,
                            help="last day of the year of history (YYYY-MM-DD; default: today, UTC)")
        parser.add_argument("--accounts", type=int, default=None, help="default: 8 per 100 leads")
        parser.add_argument("--reps", type=int, default=200)
        parser.add_argument("--keep-indexes", action="store_true",
                            help="load with the lead indexes in place instead of rebuilding them after")

    def handle(self, *args, **opts):
        from bench.generator import CopyError, generate

        if opts["leads"] < 1:
            raise CommandError("--leads must be at least 1")
        try:
            generate(leads=opts["leads"], seed=opts["seed"], end=opts["end"], accounts=opts["accounts"],
                     reps=opts["reps"], do_reset=opts["reset"], keep_indexes=opts["keep_indexes"],
                     log=lambda line: self.stdout.write(line))
        except CopyError as exc:
            raise CommandError(str(exc)) from exc
