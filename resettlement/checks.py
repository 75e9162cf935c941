"""The project's own system checks, next to Django's: `manage.py check --deploy` fails on a
production configuration that would look as if it worked.

- resettlement.E001: the secret key is still the placeholder of `.env.example`
  (`change-me-…`, long enough to pass Django's own W009).
- resettlement.E002: no `REDIS_URL`: the cache would be per process, so every gunicorn
  worker would count its own rate limits (five workers, five times the guesses), and Celery
  would run tasks inside the web request.
- resettlement.E003: `DJANGO_SECURE_PROXY_SSL_HEADER=1` without `DJANGO_TRUSTED_PROXIES`:
  anyone could claim HTTPS with a header, and behind the proxy every client would have the
  proxy's address (one shared lockout and rate limit for everybody).
- resettlement.E004 (every check): a request body limit smaller than the uploads it must
  carry (resettlement.request_limits).
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register

PLACEHOLDER_KEY_PREFIX = "change-me"


@register(Tags.security, deploy=True)
def production_configuration(app_configs, **kwargs) -> list[Error]:
    errors = []
    if settings.SECRET_KEY.strip().lower().startswith(PLACEHOLDER_KEY_PREFIX):
        errors.append(
            Error(
                "DJANGO_SECRET_KEY is the placeholder of .env.example.",
                hint='Set a random one: python3 -c "import secrets; '
                'print(secrets.token_urlsafe(50))"',
                id="resettlement.E001",
            )
        )
    if not settings.REDIS_URL:
        errors.append(
            Error(
                "REDIS_URL is not set: rate limits and the cache would be counted per "
                "process, and Celery tasks would run inside web requests.",
                hint="Set REDIS_URL=redis://host:6379/0 (docker-compose.yml does).",
                id="resettlement.E002",
            )
        )
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not settings.TRUSTED_PROXIES:
        errors.append(
            Error(
                "DJANGO_SECURE_PROXY_SSL_HEADER=1 but no proxy is named: any client could "
                "claim HTTPS, and every client would have the proxy's address.",
                hint="Set DJANGO_TRUSTED_PROXIES to the reverse proxy's address or network "
                "(docker-compose.yml: 172.30.0.10).",
                id="resettlement.E003",
            )
        )
    return errors


@register()
def body_limits(app_configs, **kwargs) -> list[Error]:
    needed = max(settings.IMPORT_MAX_BYTES, settings.DOCUMENT_MAX_BYTES)
    needed += settings.FORM_BODY_MAX_BYTES
    if needed > settings.UPLOAD_BODY_MAX_BYTES:
        return [
            Error(
                "UPLOAD_BODY_MAX_BYTES is smaller than the largest upload "
                "(IMPORT_MAX_BYTES, DOCUMENT_MAX_BYTES) with its form.",
                id="resettlement.E004",
            )
        ]
    return []
