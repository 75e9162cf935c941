"""Sessions that end when they should, and headers every response carries.

- A session ends after `SESSION_IDLE_TIMEOUT` seconds without a request and
  `SESSION_ABSOLUTE_TIMEOUT` seconds after login, however busy it was: an office computer
  left logged in does not stay open for the next person.
- A user who is disabled is logged out at once: their stored sessions are deleted when the
  account is saved inactive (admin or anywhere else), and a request still carrying a session
  of a user who can no longer log in (disabled by a bulk update, deleted) empties it.
- `Permissions-Policy` switches off browser features no page uses (camera, microphone, …).
- Pages and API answers that carry personal data (`NO_STORE_PATHS`: the staff pages, the
  admin, the API, the login pages, a resident's own pages and a reporter's status page) are
  `Cache-Control: private, no-store`: no browser cache or shared proxy keeps a copy for the
  next person at the computer.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Session keys: when the user logged in and when they were last seen (POSIX seconds).
LOGGED_IN_AT = "_logged_in_at"
LAST_SEEN_AT = "_last_seen_at"
# Writing the session on every request would cost a database write per request; a minute's
# precision is plenty for a 30-minute idle limit.
LAST_SEEN_RESOLUTION = 60


def _now() -> float:
    return timezone.now().timestamp()


@receiver(user_logged_in)
def remember_login_time(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = _now()
        request.session[LOGGED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Log out sessions past their idle or absolute limit, and empty sessions whose user
    may no longer log in. Only requests that carry a session cookie are looked at, so
    public pages stay free of session reads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> None:
        session = request.session
        if not request.user.is_authenticated:
            if SESSION_KEY in session:
                # The session names a user the backend refused (disabled or deleted).
                session.flush()
            return
        now = _now()
        logged_in_at = session.setdefault(LOGGED_IN_AT, now)
        last_seen_at = session.get(LAST_SEEN_AT, now)
        if now - last_seen_at > settings.SESSION_IDLE_TIMEOUT:
            self._end(
                request,
                _("您已超过 %(n)d 分钟没有操作,为安全起见已自动退出,请重新登录。")
                % {"n": settings.SESSION_IDLE_TIMEOUT // 60},
            )
        elif now - logged_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
            self._end(
                request,
                _("您已登录超过 %(n)d 小时,为安全起见已自动退出,请重新登录。")
                % {"n": settings.SESSION_ABSOLUTE_TIMEOUT // 3600},
            )
        elif LAST_SEEN_AT not in session or now - last_seen_at >= LAST_SEEN_RESOLUTION:
            session[LAST_SEEN_AT] = now

    @staticmethod
    def _end(request: HttpRequest, message: str) -> None:
        logout(request)
        # The request goes on as an anonymous one: a staff page sends it to the login
        # page, which shows this message.
        messages.info(request, message)


def end_sessions_of(user) -> int:
    """Delete every stored session of `user`; returns how many there were. Sessions do not
    record their user in a column, so each unexpired one is decoded (there are as many as
    there are staff logged in: a few hundred at most)."""
    user_id = str(user.pk)
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    ]
    if doomed:
        Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@receiver(post_save, sender=get_user_model())
def end_sessions_of_disabled_user(sender, instance, created: bool, **kwargs) -> None:
    if not created and not instance.is_active:
        end_sessions_of(instance)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.policy)
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response under `NO_STORE_PATHS`, whatever
    the view set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefixes = tuple(settings.NO_STORE_PATHS)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            patch_cache_control(response, no_store=True, private=True)
        return response
