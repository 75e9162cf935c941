"""Running `seed_demo` in tests: the settings it needs and a one-line call."""

from __future__ import annotations

import io
from pathlib import Path

from django.core.management import call_command

SEED = 7
HOUSEHOLDS = 40


def demo_settings(media: Path) -> dict:
    """DEBUG on (demo commands refuse otherwise), uploads in a scratch folder, cheap hashing
    for the demo users' passwords."""
    from django.conf import settings

    return {
        "DEBUG": True,
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "STORAGES": {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        },
    }


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command(
        "seed_demo", "--households", str(HOUSEHOLDS), "--seed", str(SEED), *args, stdout=out
    )
    return out.getvalue()
