from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResettlementConfig(AppConfig):
    name = "resettlement"
    verbose_name = "Resettlement"

    def ready(self) -> None:
        # Signal receivers (login time, ending a disabled user's sessions) and the
        # project's own system checks.
        from resettlement import checks, security  # noqa: F401
        from resettlement.text import install

        # Every form and serializer text field strips bidi controls and has a length limit.
        install()


class LockoutConfig(AxesAppConfig):
    """django-axes (the login lockout, `resettlement.lockout`) under a name an administrator
    reads in their own language: the admin showed "AXES / Access attempts" on a Chinese page.
    Its models' names are set here too (axes ships no Chinese); only the names shown change,
    not the models' options its migrations record (Meta's original attributes)."""

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
