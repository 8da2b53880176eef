"""python manage.py demo_data [--seed N] [--leads N] [--if-empty] [--reset]: load the demo organisation."""

from django.core.management.base import BaseCommand, CommandError

from leadops import demo


class Command(BaseCommand):
    help = "Load a realistic demo organisation (teams, people, campaigns, accounts, a year of leads)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same demo")
        parser.add_argument("--leads", type=int, default=demo.DEFAULT_LEADS,
                            help=f"how many leads (default {demo.DEFAULT_LEADS}, at least {demo.MIN_LEADS})")
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any lead exists")
        parser.add_argument("--reset", action="store_true",
                            help="delete the existing demo data (leads, accounts, campaigns, demo people) first")

    def handle(self, *args, **opts):
        if opts["leads"] < demo.MIN_LEADS:
            raise CommandError(f"--leads must be at least {demo.MIN_LEADS}.")
        found = demo.existing_data()
        if opts["if_empty"] and found["leads"]:
            self.stdout.write(f"demo_data: the database already has {found['leads']} leads; nothing loaded.")
            return
        if opts["reset"]:
            demo.reset()
            self.stdout.write("demo_data: deleted the previous demo data.")
        elif any(found.values()):
            parts = [f"{found['leads']} leads" if found["leads"] else "",
                     f"users {', '.join(found['users'])}" if found["users"] else "",
                     f"teams {', '.join(found['teams'])}" if found["teams"] else "",
                     f"{found['accounts']} accounts" if found["accounts"] else "",
                     f"{found['campaigns']} campaigns" if found["campaigns"] else ""]
            clash = "; ".join(p for p in parts if p)
            if opts["if_empty"]:  # no leads, but people or campaigns of someone's own: leave them alone too
                self.stdout.write(f"demo_data: the database already has data ({clash}); nothing loaded.")
                return
            raise CommandError(
                f"The database already holds data ({clash}). "
                "Pass --reset to replace the demo data, or --if-empty to leave a database with data alone."
            )
        plan = demo.build_plan(seed=opts["seed"], leads=opts["leads"], base=demo.base_moment())
        result = demo.load(plan, progress=lambda msg: self.stdout.write(f"demo_data: {msg}") if opts["verbosity"] > 1
                           else None)
        for line in demo.summary(result):
            self.stdout.write(line)
