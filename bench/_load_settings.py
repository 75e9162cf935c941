"""Settings for the gunicorn server of the public load benchmark and test: the project's
own, plus a trivial view (the baseline) on a URL the real site does not have.

Static files are referenced, not served, by the pages measured: the plain storage spares
a `collectstatic` before each run (the manifest lookup it skips is one dict access).
"""

from resettlement.settings import *  # noqa: F403
from resettlement.settings import STORAGES

ROOT_URLCONF = "bench._load_urls"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
