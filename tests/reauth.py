"""Helpers for tests of actions that need a recent confirmation (lottery sign-off,
publishing, household and statement approval, payments): log in as the login page would,
enrol an authenticator and read its current code as the user's phone would."""

from __future__ import annotations

import base64
import re
import time

from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from resettlement.reauth import RECENT_AUTH_AT, RECENT_SECOND_FACTOR_AT


def recently_authenticated(client: Client, *, second_factor: bool = False) -> Client:
    """Mark the client's logged-in session as having just had its password checked, as the
    login page and the confirm page do (`force_login` checks no password); with
    `second_factor`, a one-time code as well, as the confirm page does with REQUIRE_2FA."""
    session = client.session
    now = timezone.now().timestamp()
    session[RECENT_AUTH_AT] = now
    if second_factor:
        session[RECENT_SECOND_FACTOR_AT] = now
    session.save()
    return client


def enrolled(user) -> TOTPDevice:
    """The user's authenticator, as if they had enrolled it."""
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_for(secret_hex: str) -> str:
    """What an authenticator app with this secret shows now."""
    totp = TOTP(bytes.fromhex(secret_hex))
    totp.time = time.time()
    return f"{totp.token():06d}"


def current_code(device: TOTPDevice) -> str:
    return code_for(device.key)


def secret_shown(html: str) -> str:
    """The secret as the enrolment page shows it (base32 in groups of four), in hex."""
    text = re.search(r'id="second-factor-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8)).hex()


def signed_secret(html: str) -> str:
    """The enrolment form's hidden field."""
    return re.search(r'name="secret" value="([^"]+)"', html).group(1)
