"""Remove a user's authenticator (a lost or replaced phone):
`python manage.py reset_second_factor USERNAME --by ADMIN_USERNAME`.

The user enrols a new one before their next decision. The removal is an audit entry naming
the administrator given with `--by`.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from resettlement.second_factor import second_factor_reset


class Command(BaseCommand):
    help = "Remove a user's authenticator devices so that they can enrol a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="whose devices to remove")
        parser.add_argument(
            "--by", required=True, help="the administrator doing it (recorded in the audit)"
        )

    def handle(self, *args, username: str, by: str, **options) -> None:
        users = get_user_model().objects
        try:
            user = users.get(username=username)
            actor = users.get(username=by, is_superuser=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(
                f"No user {username!r}, or {by!r} is not an administrator (superuser)."
            ) from exc
        removed = second_factor_reset(actor=actor, user=user)
        self.stdout.write(f"Removed {removed} device(s) of {username}.")
