"""Password entry: the login page, the lockout page, and "confirm it is you" before the
decisions that cannot be taken back (a lottery sign-off, publishing a publication, approving
a household or a step of a statement's fund-approval chain, recording a payment).

A password checked on the login page or on the confirm page marks the session as recently
authenticated; the marked actions need that mark to be younger than `RECENT_AUTH_SECONDS`.
With `REQUIRE_2FA` on they also need a one-time code from the user's authenticator app
checked as recently (`resettlement.second_factor`): the confirm page then asks for the
password and a code, and sends a user without an enrolled device to enrol one first. The
login page checks the password only, so after logging in the first decision still asks for
the code.

Without a recent confirmation a page form is sent to the confirm page (and back to the page
it came from, to submit again) and a JSON or API caller gets 403 `reauthentication_required`.
API calls with HTTP Basic authentication carry the password on every request, so it always
counts as recent; with `REQUIRE_2FA` on they send the code in the `X-OTP` header (403
`second_factor_required` without a valid one).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request

from resettlement.errors import RuleViolation, apply_errors
from resettlement.lockout import failure_counts
from resettlement.second_factor import (
    base32_secret,
    enrolled_device,
    enrolment_secret,
    provisioning_uri,
    qr_data_uri,
    second_factor_check,
    second_factor_enrol,
    second_factor_required,
    sign_secret,
    unsign_secret,
)

RECENT_AUTH_AT = "_recent_auth_at"
RECENT_SECOND_FACTOR_AT = "_recent_second_factor_at"
OTP_HEADER = "X-OTP"


def mark_recently_authenticated(request: HttpRequest, *, second_factor: bool = False) -> None:
    """The password was just checked (and, with `second_factor`, a one-time code too)."""
    now = timezone.now().timestamp()
    request.session[RECENT_AUTH_AT] = now
    if second_factor:
        request.session[RECENT_SECOND_FACTOR_AT] = now


def _recent(at: float | None) -> bool:
    return at is not None and timezone.now().timestamp() - at <= settings.RECENT_AUTH_SECONDS


def is_recently_authenticated(request: HttpRequest) -> bool:
    session = request.session
    if not _recent(session.get(RECENT_AUTH_AT)):
        return False
    return not second_factor_required() or _recent(session.get(RECENT_SECOND_FACTOR_AT))


def _confirm_url(next_url: str) -> str:
    return f"{reverse('confirm-password')}?{urlencode({'next': next_url})}"


def _confirm_message() -> str:
    if second_factor_required():
        return _("这一步需要再次确认您的密码和动态口令。确认后请重新提交。")
    return _("这一步需要再次确认您的密码。确认后请重新提交。")


def ask_to_reauthenticate(request: HttpRequest, back: str) -> HttpResponse:
    """The answer to a decision without a recent confirmation: 403 with `reauth_url` for a
    caller asking for JSON, otherwise the confirm page, which comes back to `back`."""
    message = _confirm_message()
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "ok": False,
                "code": "reauthentication_required",
                "message": message,
                "reauth_url": _confirm_url(back),
            },
            status=403,
            json_dumps_params={"ensure_ascii": False},
        )
    messages.info(request, message)
    return redirect(_confirm_url(back))


def recent_authentication_required(
    return_to: str, anchor: str = ""
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """For a POST view: without a recent confirmation the request is not carried out. The
    user is sent to the confirm page and then back to `return_to` (a URL name reversed with
    the view's own keyword arguments, plus `anchor`) to submit again; a caller asking for
    JSON gets 403 with `reauth_url`. Put it inside `login_required`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_recently_authenticated(request):
                return view(request, *args, **kwargs)
            return ask_to_reauthenticate(request, reverse(return_to, kwargs=kwargs) + anchor)

        return wrapper

    return decorate


class ReauthenticationRequired(exceptions.PermissionDenied):
    default_code = "reauthentication_required"
    default_detail = gettext_lazy(
        "这一步需要最近确认过身份:请在 /accounts/confirm-password/ 确认后重试,"
        "或使用 HTTP Basic 认证调用。"
    )


class SecondFactorRequired(exceptions.PermissionDenied):
    default_code = "second_factor_required"
    default_detail = gettext_lazy(
        "这一步需要动态口令:请在请求头 X-OTP 中提供身份验证器应用上当前的6位动态口令"
        "(每个口令只能使用一次)。尚未绑定身份验证器的,请先登录网页在"
        " /accounts/second-factor/ 绑定。"
    )


OTP_PARAMETER = OpenApiParameter(
    name=OTP_HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    description="With REQUIRE_2FA on and HTTP Basic authentication: the current one-time code "
    "of the caller's authenticator app (each code is accepted once; 403 "
    "`second_factor_required` without a valid one). A session instead needs the password "
    "and a code confirmed recently at /accounts/confirm-password/ (403 "
    "`reauthentication_required`).",
)


def require_recent_authentication(request: Request) -> None:
    """For API decisions: Basic authentication has just checked the password, and with
    `REQUIRE_2FA` the `X-OTP` header must carry a valid code; a session must have been
    confirmed recently (with the code, when it is required)."""
    if isinstance(request.successful_authenticator, BasicAuthentication):
        if second_factor_required() and not second_factor_check(
            user=request.user, code=request.headers.get(OTP_HEADER, "")
        ):
            raise SecondFactorRequired()
        return
    if not is_recently_authenticated(request._request):
        raise ReauthenticationRequired()


class PasswordForm(forms.Form):
    """The user's own password, checked through the authentication backends, so
    django-axes counts failures here as on the login page."""

    password = forms.CharField(
        label=gettext_lazy("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(_("密码不正确。"), code="wrong_password")
        return password


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("动态口令"),
        max_length=16,
        help_text=gettext_lazy("身份验证器应用上当前显示的6位数字"),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class ConfirmPasswordForm(PasswordForm):
    """The password, and with `REQUIRE_2FA` a current one-time code. The code is checked
    only after the password: a wrong password does not spend a code."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        if second_factor_required():
            self.fields["code"] = _code_field()

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if "password" in self.cleaned_data and not second_factor_check(
            user=self.request.user, code=code
        ):
            raise forms.ValidationError(
                _("动态口令不正确或已使用过,请输入应用上当前显示的口令。"), code="wrong_code"
            )
        return code


class EnrolForm(PasswordForm):
    """The password and a code from the app that was just given the secret."""

    secret = forms.CharField(widget=forms.HiddenInput, max_length=400)

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["code"] = _code_field()


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(settings.LOGIN_REDIRECT_URL)


def _confirmed(request: HttpRequest, next_url: str, *, second_factor: bool) -> HttpResponse:
    # A new session key: a cookie copied before this point is not "recently" anything.
    request.session.cycle_key()
    mark_recently_authenticated(request, second_factor=second_factor)
    minutes = {"n": settings.RECENT_AUTH_SECONDS // 60}
    if second_factor:
        message = _("密码和动态口令已确认,%(n)d 分钟内无需再次确认。") % minutes
    else:
        message = _("密码已确认,%(n)d 分钟内无需再次确认。") % minutes
    messages.success(request, message)
    return redirect(next_url)


@sensitive_post_parameters("password", "code")
@never_cache
@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if second_factor_required() and enrolled_device(request.user) is None:
        messages.info(request, _("这一步需要动态口令。请先绑定身份验证器,绑定后即可继续。"))
        return redirect(f"{reverse('second-factor')}?{urlencode({'next': next_url})}")
    form = ConfirmPasswordForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        return _confirmed(request, next_url, second_factor=second_factor_required())
    return render(request, "registration/confirm_password.html", {"form": form, "next": next_url})


@sensitive_post_parameters("password", "code", "secret")
@never_cache
@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: the secret as a QR code and as text; the password and a
    code from the app confirm it. GET writes nothing: the secret travels in the form,
    signed for this user, until a code confirms it."""
    next_url = _safe_next(request)
    device = enrolled_device(request.user)
    if device is not None:
        return render(
            request, "registration/second_factor.html", {"device": device, "next": next_url}
        )
    form = EnrolForm(request, request.POST or None)
    secret = None
    if request.method == "POST":
        secret = unsign_secret(request.user, request.POST.get("secret", ""))
        if secret is None:
            form = EnrolForm(request)
            messages.error(request, _("绑定页面已过期,请用新的二维码重新添加。"))
        elif form.is_valid():
            try:
                second_factor_enrol(
                    actor=request.user, secret=secret, code=form.cleaned_data["code"]
                )
            except RuleViolation as exc:
                apply_errors(form, exc.details, exc.message)
            else:
                messages.success(request, _("身份验证器已绑定。"))
                return _confirmed(request, next_url, second_factor=True)
    if secret is None:
        secret = enrolment_secret()
        form.initial["secret"] = sign_secret(request.user, secret)
    uri = provisioning_uri(request.user, secret)
    return render(
        request,
        "registration/second_factor.html",
        {
            "form": form,
            "next": next_url,
            "qr": qr_data_uri(uri),
            "secret_text": base32_secret(secret),
        },
    )


class LoginView(auth_views.LoginView):
    """Django's login page; the password just checked counts as recent authentication (the
    one-time code, when required, is asked for at the first decision)."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        mark_recently_authenticated(self.request, second_factor=False)
        return response


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' lockout response: a translated page saying which limit was reached and
    how long to wait."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    return render(
        request,
        "registration/locked_out.html",
        {
            "minutes": minutes,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "address_limit": settings.AXES_ADDRESS_FAILURE_LIMIT,
            "address_locked": failure_counts(request, credentials).address_locked,
        },
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )
