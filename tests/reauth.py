"""A helper for tests of actions that need a recently entered password (lottery sign-off,
statement approval, payments): log in as the login page would."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from resettlement.reauth import RECENT_AUTH_AT


def recently_authenticated(client: Client) -> Client:
    """Mark the client's logged-in session as having just had its password checked, as the
    login page and the confirm-password page do (`force_login` checks no password)."""
    session = client.session
    session[RECENT_AUTH_AT] = timezone.now().timestamp()
    session.save()
    return client
