import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from demo import households as demo_households


class Command(BaseCommand):
    help = (
        "Build a demo resettlement project (YH2013, with an earlier project YH2011) through the "
        "same services the office uses: registration, documents, review and approval, "
        "publicity, housing stock, demands, a signed lottery session, statements through the "
        "fund-approval chain, payments, agreements, key handover and defects, and house "
        "tickets in YH2011 (every household monetised), by the demo users. "
        "Deterministic for a given --seed (but for the lottery's secret). Local demos only. "
        "How its dates lie: every act a service records (registering, reviewing, approving, "
        "publishing, drawing, approving statements, payments) carries the time of the seeding; "
        "the dates a service takes are given in the past, in a real project's order, counted "
        "back from the day of seeding: rosters posted on day -120 (corrected on day -110; the "
        "entitlement roster's 30 days end on day -81), agreements signed on day -60, keys "
        "handed over on day -30, families moved in between days -25 and -5. Every publication "
        "period a gate asks about has ended, but for one household's supplementary roster "
        "(posted on day -5), which the lottery gate holds back, as it does a household "
        "approved after every roster (demo/dates.py)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--households", type=int, default=300, help="households in YH2013 (default 300)"
        )
        parser.add_argument(
            "--seed", type=int, default=2013, help="random seed; same seed, same data"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the demo projects already exist",
        )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for local demos only (DJANGO_DEBUG is off).")
        if options["households"] < 1:
            raise CommandError("--households must be at least 1.")
        existing = demo_households.existing_demo_projects()
        if existing:
            message = f"Demo project(s) {', '.join(existing)} already exist"
            if options["if_empty"]:
                demo_households.grant_project_scoped_demo_users()
                self.stdout.write(f"{message}; nothing to do (--if-empty).")
                return
            raise CommandError(
                f"{message}. Use --if-empty to skip, or start from an empty database."
            )
        # The one place where the demo spans stages: imports run from later stages to
        # earlier ones, so households never imports publicity or lottery; the command hands
        # the later stages in, and they run in the registry's transaction, in this order:
        # publicity (whose objections may send a household back to review and approve it
        # again) before the housing and lottery stage, which needs the approvals settled;
        # settlement and handover on the apartments drawn; the house tickets of the earlier
        # project YH2011, all of whose households are monetised (demo/tickets.py);
        # households' bank accounts, then the transition-subsidy runs paid into them; the
        # money boards (publicity of statements); oversight (working teams, the return plan,
        # the overdue ledger); and an overdue household's switch to cash last (issue 14).
        from demo.lottery import hall_users, missing_hall_users, seed_lottery
        from demo.money_publicity import seed_money_publicity
        from demo.overdue import seed_bank_accounts, seed_overdue
        from demo.oversight import missing_oversight_users, seed_oversight
        from demo.publicity import seed_publicity
        from demo.settlement import missing_settlement_users, seed_settlement, settlement_users
        from demo.subsidy_runs import missing_subsidy_run_users, seed_subsidy_runs
        from demo.tickets import seed_tickets

        if (
            demo_households.missing_demo_users()
            or missing_hall_users()
            or missing_settlement_users()
            or missing_oversight_users()
            or missing_subsidy_run_users()
        ):
            call_command("create_demo_users", stdout=self.stdout)
        try:
            users = settlement_users(hall_users(demo_households.demo_actors()))
        except demo_households.DemoUsersMissing as exc:
            raise CommandError(str(exc)) from exc

        started = time.monotonic()
        self.stdout.write(f"Seeding {options['households']} households (seed {options['seed']})…")
        summary = demo_households.seed_demo(
            households=options["households"],
            seed=options["seed"],
            users=users,
            progress=self.stdout.write,
            later_stages=[
                seed_publicity,
                seed_lottery,
                seed_settlement,
                seed_tickets,
                seed_bank_accounts,
                seed_subsidy_runs,
                seed_money_publicity,
                seed_oversight,
                seed_overdue,
            ],
        )
        demo_households.grant_project_scoped_demo_users()
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s.")
        )
