"""Celery tasks of the oversight app (found by the worker through autodiscovery)."""

from __future__ import annotations

from celery import shared_task

from oversight.services import ledger


# The backoff stays below the broker's visibility timeout (settings), or Redis would deliver
# the waiting retry a second time.
@shared_task(autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=60, max_retries=3)
def refresh_overdue_ledger() -> dict[str, int]:
    """Recompute the overdue-return ledger (daily, by Celery beat; see settings)."""
    run = ledger.ledger_refresh()
    return {"households": run.households, "overdue": run.overdue, "late": run.late}


@shared_task(autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=60, max_retries=3)
def refresh_project_ledger(project_id: int) -> dict[str, int]:
    """Recompute one project's ledger after a payment, a settlement, a handover, a
    transition or a subsidy run's batch or bank result committed (oversight.receivers): on
    the worker, so the finance officer's request does not wait for a province-size project."""
    from households.models import Project

    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        return {"households": 0, "overdue": 0, "late": 0}
    run = ledger.ledger_refresh(project=project)
    return {"households": run.households, "overdue": run.overdue, "late": run.late}
