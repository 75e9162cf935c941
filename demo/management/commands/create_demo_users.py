from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

from resettlement.roles import ensure_roles

# (username, display name, roles). All but the last are district office staff who see every
# project (households.access_all_projects); `clerk2011` is a clerk of one project only: the
# demo grants it the earlier project YH2011, and it sees nothing of YH2013. Two clerks and
# two reviewers so the demo can show four-eyes: one registers, another reviews, a third
# approves. Two leaders and four finance officers so a statement can pass the seven-step
# fund-approval chain, each step by a different person (seed 003).
DEMO_USERS = (
    ("clerk", "李登记", ("clerk",)),
    ("clerk2", "王登记", ("clerk",)),
    ("reviewer", "赵审核", ("reviewer",)),
    ("reviewer2", "钱审核", ("reviewer",)),
    ("leader", "陈领导", ("leader",)),
    ("operator", "孙操作", ("operator",)),
    ("notary", "周公证", ("notary",)),
    ("leader2", "刘主任", ("leader",)),
    ("finance", "吴财务", ("finance",)),
    ("finance2", "郑财务主管", ("finance",)),
    ("finance3", "冯公司审批", ("finance",)),
    ("finance4", "蒋出纳", ("finance",)),
    # Computes the transition-subsidy runs, which the four above approve (four-eyes: who
    # computes a run takes none of its steps; demo.subsidy_runs).
    ("finance5", "沈过渡费专员", ("finance",)),
    ("supervisor", "韩纪检", ("supervisor",)),
    ("clerk2011", "何登记(仅YH2011项目)", ("clerk",)),
)
PROJECT_SCOPED = {"clerk2011"}


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


class Command(BaseCommand):
    help = "Create one demo user per role (local demo only; refused when DEBUG is off)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-district-access",
            action="store_true",
            help="give nobody households.access_all_projects: each user then sees only the "
            "projects granted to them in the admin (项目授权)",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo users are for local demos only (DJANGO_DEBUG is off).")
        ensure_roles()
        User = get_user_model()
        all_projects = Permission.objects.get(
            content_type__app_label="households", codename="access_all_projects"
        )
        rows = []
        for username, name, roles in DEMO_USERS:
            user, _created = User.objects.get_or_create(
                username=username, defaults={"first_name": name, "is_staff": True}
            )
            user.set_password(demo_password(username))
            user.is_staff = True
            user.save()
            user.groups.set(Group.objects.filter(name__in=roles))
            if username in PROJECT_SCOPED or options["no_district_access"]:
                user.user_permissions.remove(all_projects)
            else:
                user.user_permissions.add(all_projects)
            rows.append((username, demo_password(username), ", ".join(roles), name))
        admin, _created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        admin.set_password(demo_password("admin"))
        admin.save()
        rows.append(("admin", demo_password("admin"), "superuser", "系统管理员"))
        self.stdout.write("Demo users (username / password / roles):")
        for username, password, roles, name in rows:
            self.stdout.write(f"  {username:10} {password:22} {roles:10} {name}")
