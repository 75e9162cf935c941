from django.core.management.base import BaseCommand

from resettlement.roles import ROLES, ensure_roles


class Command(BaseCommand):
    help = "Create or update the role groups and their permissions (idempotent)."

    def handle(self, *args, **options) -> None:
        ensure_roles()
        for role in ROLES:
            self.stdout.write(f"{role.code:10} {role.label} ({len(role.permissions)} permissions)")
        self.stdout.write(self.style.SUCCESS("Roles are up to date."))
