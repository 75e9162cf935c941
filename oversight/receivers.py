"""Keep the overdue-return ledger current: the events that change a project's figures
refresh that project's ledger once their transaction has committed.

Oversight sits above settlement, so it listens to settlement's rows (post_save) rather than
settlement calling it: a payment recorded, a statement saved as settled, a handover recorded
(its household leaves the ledger), a transition saved (moving-out or promised date), a
subsidy run's batch made or its bank result imported. Nothing
runs if the transaction rolls back. The refresh runs as a Celery task (`refresh_project_ledger`),
a fixed number of queries for the project;
one that fails is logged and left to the next event or the daily run — the payment stands.
Connected in `OversightConfig.ready`.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

from households.models import Household
from settlement.models import (
    Handover,
    Payment,
    Statement,
    StatementStatus,
    SubsidyRun,
    SubsidyRunStatus,
    Transition,
)

logger = logging.getLogger(__name__)


def _refresh(project_id: int) -> None:
    # On the Celery worker (in-process where no broker is configured, and in tests).
    from oversight.tasks import refresh_project_ledger

    try:
        refresh_project_ledger.delay(project_id)
    except Exception:  # the event committed; the daily run catches up
        logger.exception("overdue ledger refresh failed for project %s", project_id)


def ledger_refresh_after_commit(project_id: int | None) -> None:
    """Refresh the project's ledger once the current transaction commits (at once outside
    one): once per project however many events the transaction holds (a group's payments,
    a seeding of hundreds), since the refresh reads the committed state whole. The callbacks
    of one transaction share a record of the projects refreshed (`ledger_done`); a callback
    dropped with a rolled-back savepoint never runs, and the others still refresh."""
    if project_id is None:
        return
    pending = (entry[1] for entry in transaction.get_connection().run_on_commit)
    done = next((c.ledger_done for c in pending if hasattr(c, "ledger_done")), None)
    if done is None:
        done = set()

    def refresh() -> None:
        if project_id in done:
            return
        done.add(project_id)
        _refresh(project_id)

    refresh.ledger_done = done
    transaction.on_commit(refresh)


def _payment_saved(sender, instance: Payment, created: bool, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    ledger_refresh_after_commit(
        Statement.objects.filter(pk=instance.statement_id)
        .values_list("project_id", flat=True)
        .first()
    )


def _statement_saved(sender, instance: Statement, **kwargs) -> None:
    if kwargs.get("raw") or instance.status != StatementStatus.SETTLED:
        return
    ledger_refresh_after_commit(instance.project_id)


def _household_row_saved(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return
    ledger_refresh_after_commit(
        Household.objects.filter(pk=instance.household_id)
        .values_list("project_id", flat=True)
        .first()
    )


def _subsidy_run_saved(sender, instance: SubsidyRun, **kwargs) -> None:
    """A run's batch made (its months held) or the bank's result imported (paid, failed)."""
    if kwargs.get("raw") or instance.status not in (SubsidyRunStatus.SENT, SubsidyRunStatus.CLOSED):
        return
    ledger_refresh_after_commit(instance.project_id)


def connect() -> None:
    post_save.connect(_payment_saved, sender=Payment, dispatch_uid="oversight_ledger_payment")
    post_save.connect(_statement_saved, sender=Statement, dispatch_uid="oversight_ledger_statement")
    post_save.connect(
        _household_row_saved, sender=Handover, dispatch_uid="oversight_ledger_handover"
    )
    post_save.connect(
        _household_row_saved, sender=Transition, dispatch_uid="oversight_ledger_transition"
    )
    post_save.connect(
        _subsidy_run_saved, sender=SubsidyRun, dispatch_uid="oversight_ledger_subsidy_run"
    )
