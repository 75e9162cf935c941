"""The Celery application. Without REDIS_URL tasks run eagerly in the calling process."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resettlement.settings")

app = Celery("resettlement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def warm_up_pdf_rendering(**kwargs) -> None:
    """Each worker process (a new one too, after the old reached its memory limit) loads
    WeasyPrint and the CJK font before taking its first task."""
    from .pdf import warm_up

    warm_up()
