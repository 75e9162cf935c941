"""The second factor for decisions that cannot be taken back: a one-time code (TOTP,
RFC 6238) from an authenticator app on the user's phone, through django-otp.

With `REQUIRE_2FA` on (the production default), confirming a lottery sign-off, a
publication, a household approval, a step of a statement's fund-approval chain or a payment
takes the password *and* a current code from the user's enrolled device
(`resettlement.reauth`). A stolen password alone decides nothing.

- A user enrols once, on the page that shows the secret as a QR code and as text, by typing
  the password and a code the app shows (`second_factor_enrol`). Enrolled devices are
  never replaced from the page: whoever has the password and an unlocked screen could
  otherwise swap in their own phone. An administrator removes a lost one
  (`second_factor_reset`, `manage.py reset_second_factor`), and both are audited.
- A code is accepted once (django-otp keeps the last time step used), and wrong codes slow
  further tries down (django-otp's throttling, doubling the wait after each failure).
"""

from __future__ import annotations

import base64
import io
import time
import unicodedata

import qrcode
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from resettlement.audit import AuditAction, audit_record
from resettlement.errors import RuleViolation

# How long the secret shown on the enrolment page stays valid for confirming it.
ENROLMENT_SECONDS = 15 * 60
_SIGNING_SALT = "resettlement.second_factor.enrolment"


def second_factor_required() -> bool:
    return settings.REQUIRE_2FA


def enrolled_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def _digits(code: str) -> str:
    """Codes are read off a phone: spaces (apps show "123 456") and full-width digits are
    fine."""
    return "".join(unicodedata.normalize("NFKC", code).split())


def second_factor_check(*, user, code: str) -> bool:
    """Whether `code` is a current code of the user's enrolled device, not used before.
    A wrong code counts toward the device's throttling; a used one is spent."""
    device = enrolled_device(user)
    code = _digits(code or "")
    if device is None or not code.isdigit():
        return False
    return verify_token(user, device.persistent_id, code) is not None


# -- enrolment ---------------------------------------------------------------------------------


def enrolment_secret() -> str:
    """A new secret (hex, as django-otp stores it) for the enrolment page."""
    return random_hex(20)


def sign_secret(user, secret: str) -> str:
    """The secret as the enrolment form carries it: signed for this user, so the form can
    only confirm a secret this site showed to this user, and only for a while."""
    return signing.dumps({"user": user.pk, "secret": secret}, salt=_SIGNING_SALT)


def unsign_secret(user, signed: str) -> str | None:
    try:
        data = signing.loads(signed, salt=_SIGNING_SALT, max_age=ENROLMENT_SECONDS)
    except signing.BadSignature:
        return None
    return data["secret"] if data.get("user") == user.pk else None


def provisioning_uri(user, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return TOTPDevice(user=user, key=secret).config_url


def base32_secret(secret: str) -> str:
    """The secret as people type it into an app by hand, in groups of four."""
    text = base64.b32encode(bytes.fromhex(secret)).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_data_uri(text: str) -> str:
    """A QR code as a PNG data URI (the policy allows `img-src data:`)."""
    image = qrcode.make(text, border=4, box_size=6)
    stream = io.BytesIO()
    image.save(stream, format="PNG")
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode("ascii")


@transaction.atomic
def second_factor_enrol(*, actor, secret: str, code: str) -> TOTPDevice:
    """Enrol the device that shows codes for `secret`, once `code` proves it does.
    Precondition: the caller has checked the actor's password."""
    # Two tabs confirming at once must not leave two devices.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    if enrolled_device(actor) is not None:
        raise RuleViolation(
            "second_factor_enrolled",
            _("您已绑定身份验证器。如需更换(例如手机丢失),请联系系统管理员解除绑定。"),
        )
    device = TOTPDevice(user=actor, key=secret, name=_("身份验证器"), confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    code = _digits(code or "")
    if not (code.isdigit() and totp.verify(int(code), device.tolerance)):
        raise RuleViolation(
            "wrong_code",
            _("动态口令不正确:请输入身份验证器应用上当前显示的6位数字。"),
            details=[{"field": "code", "message": _("动态口令不正确。"), "code": "wrong_code"}],
        )
    device.last_t = totp.t()  # this code is spent
    device.drift = totp.drift
    device.save()
    audit_record(
        actor=actor,
        action=AuditAction.SECOND_FACTOR_ENROL,
        obj=actor,
        payload={"device": device.pk},
    )
    return device


@transaction.atomic
def second_factor_reset(*, actor, user) -> int:
    """Remove every device of `user` (a lost phone); they enrol again before their next
    decision. Returns how many were removed."""
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user).values_list("pk"))
    if not devices:
        return 0
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action=AuditAction.SECOND_FACTOR_RESET,
        obj=user,
        payload={"devices": len(devices)},
    )
    return len(devices)
