"""python manage.py issue_token --user NAME [--scope S ...] [--name N] [--days D] [--rate R]: prints a token once."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from leadops import clock, services
from leadops.errors import DomainError
from leadops.models import Scope, User


class Command(BaseCommand):
    help = "Issue an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="username")
        parser.add_argument("--scope", action="append", default=[], help=f"one of {', '.join(Scope.values)}")
        parser.add_argument("--name", default="", help="what the token is for")
        parser.add_argument("--days", type=int, default=None, help="expire after this many days")
        parser.add_argument("--rate", default="", help="rate limit of this client, e.g. 600/min (default: "
                            "LEADOPS_API_CLIENT_RATE)")

    def handle(self, *args, **opts):
        user = User.objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"No user named {opts['user']!r}.")
        expires = clock.now() + dt.timedelta(days=opts["days"]) if opts["days"] else None
        try:
            token, raw = services.token_issue(
                user=user, scopes=opts["scope"] or [Scope.LEADS_READ], name=opts["name"], expires_at=expires,
                rate_limit=opts["rate"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {token.prefix}… for {user.username}, scopes {', '.join(token.scopes)}. "
            "It is shown once; store it now."
        )
        self.stdout.write(raw)
