"""`python -m tests.publicity.killable_worker --app=resettlement worker …`: a Celery worker as
deployed, for test_render_worker_killed.py. With HOLD_AFTER_WRITE_SECONDS set, each file the
worker stores is held that long after it is written, before its part is marked done: the
moment in which the test kills the worker (the hardest one: a file on disk, the part not
done)."""

from __future__ import annotations

import os
import sys
import time

from celery.signals import worker_process_init


@worker_process_init.connect
def hold_after_writing(**kwargs) -> None:
    seconds = float(os.environ.get("HOLD_AFTER_WRITE_SECONDS") or 0)
    if not seconds:
        return
    from django.core.files.storage import FileSystemStorage

    write = FileSystemStorage._save

    def write_and_hold(self, name, content):
        stored = write(self, name, content)
        time.sleep(seconds)
        return stored

    FileSystemStorage._save = write_and_hold


if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv = ["celery", *sys.argv[1:]]
    sys.exit(main())
