"""Settings for the gunicorn server of the verify page benchmark (bench/verify_page.py): the
load benchmark's, plus static files served by WhiteNoise straight from the source tree
(the page runs its scripts), so no `collectstatic` is needed before a run."""

from bench._load_settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
