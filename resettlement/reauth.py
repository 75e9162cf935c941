"""Password entry: the login page, the lockout page, and "confirm your password" before
the decisions that cannot be taken back (a lottery sign-off, a statement approval, a
payment).

A password checked on the login page or on the confirm-password page marks the session as
recently authenticated; the marked actions need that mark to be younger than
`RECENT_AUTH_SECONDS`. Otherwise a page form is sent to the confirm-password page (and back
to the page it came from, to submit again) and a JSON or API caller gets 403
`reauthentication_required`. API calls with HTTP Basic authentication carry the password
on every request, so they always count as recent.
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
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.request import Request

from .lockout import failure_counts

RECENT_AUTH_AT = "_recent_auth_at"


def mark_recently_authenticated(request: HttpRequest) -> None:
    request.session[RECENT_AUTH_AT] = timezone.now().timestamp()


def is_recently_authenticated(request: HttpRequest) -> bool:
    at = request.session.get(RECENT_AUTH_AT)
    if at is None:
        return False
    return timezone.now().timestamp() - at <= settings.RECENT_AUTH_SECONDS


def _confirm_url(next_url: str) -> str:
    return f"{reverse('confirm-password')}?{urlencode({'next': next_url})}"


def recent_authentication_required(
    return_to: str, anchor: str = ""
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """For a POST view: without a recent password the request is not carried out. The
    user is sent to confirm the password and then back to `return_to` (a URL name reversed
    with the view's own keyword arguments, plus `anchor`) to submit again; a caller asking
    for JSON gets 403 with `reauth_url`. Put it inside `login_required`."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if is_recently_authenticated(request):
                return view(request, *args, **kwargs)
            back = reverse(return_to, kwargs=kwargs) + anchor
            message = _("这一步需要再次确认您的密码。确认后请重新提交。")
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

        return wrapper

    return decorate


class ReauthenticationRequired(exceptions.PermissionDenied):
    default_code = "reauthentication_required"
    default_detail = gettext_lazy(
        "这一步需要最近输入过密码:请在 /accounts/confirm-password/ 确认密码后重试,"
        "或使用 HTTP Basic 认证调用。"
    )


def require_recent_authentication(request: Request) -> None:
    """For API actions: Basic authentication has just checked the password; a session
    must have been authenticated recently."""
    if isinstance(request.successful_authenticator, BasicAuthentication):
        return
    if not is_recently_authenticated(request._request):
        raise ReauthenticationRequired()


class ConfirmPasswordForm(forms.Form):
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
        # Through the authentication backends, so django-axes counts failures here too.
        checked = authenticate(self.request, username=user.get_username(), password=password)
        if checked is None or checked.pk != user.pk:
            raise forms.ValidationError(_("密码不正确。"), code="wrong_password")
        return password


def _safe_next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@never_cache
@login_required
def confirm_password(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    form = ConfirmPasswordForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A new session key: a cookie copied before this point is not "recently" anything.
        request.session.cycle_key()
        mark_recently_authenticated(request)
        messages.success(
            request,
            _("密码已确认,%(n)d 分钟内无需再次确认。") % {"n": settings.RECENT_AUTH_SECONDS // 60},
        )
        return redirect(next_url)
    return render(request, "registration/confirm_password.html", {"form": form, "next": next_url})


class LoginView(auth_views.LoginView):
    """Django's login page; the password just checked counts as recent authentication."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        mark_recently_authenticated(self.request)
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
