"""django-axes (the login lockout, `resettlement.lockout`) under a name an administrator reads
in their own language: the admin showed "AXES / Access attempts" on a Chinese page. Its
models' names are set here too (axes ships no Chinese); only the names shown change, not
the models' options its migrations record (Meta's original attributes).

A module of its own: an `apps.py` with two AppConfig classes makes Django use neither by
default (settings name this one: "resettlement.axes_app.LockoutConfig")."""

from __future__ import annotations

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class LockoutConfig(AxesAppConfig):
    verbose_name = _("登录锁定")

    def ready(self) -> None:
        super().ready()
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog

        for model, name in (
            (AccessAttempt, _("登录失败计数")),
            (AccessFailureLog, _("登录失败记录")),
            (AccessLog, _("登录记录")),
        ):
            model._meta.verbose_name = name
            model._meta.verbose_name_plural = name
