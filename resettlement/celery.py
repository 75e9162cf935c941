"""The Celery application. Without REDIS_URL tasks run eagerly in the calling process."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun, worker_process_init

from resettlement.logs import log_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettlement.settings")

app = Celery("resettlement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def warm_up_pdf_rendering(**kwargs) -> None:
    """Each worker process (a new one too, after the old reached its memory limit) loads
    WeasyPrint and the CJK font before taking its first task."""
    from resettlement.pdf import warm_up

    warm_up()


# The log context of each running task, by task id: entered before the task runs, left after.
_task_log_contexts: dict[str, object] = {}


@task_prerun.connect
def enter_task_log_context(task_id: str, task, **kwargs) -> None:
    """Every record a task logs carries its id and name (and, for a task run eagerly inside a
    request, the request's id too)."""
    context = log_context(task_id=task_id, task_name=task.name)
    context.__enter__()
    _task_log_contexts[task_id] = context


@task_postrun.connect
def leave_task_log_context(task_id: str, **kwargs) -> None:
    context = _task_log_contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
