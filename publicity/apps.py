from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "publicity"
    verbose_name = _("公示与通知")

    def ready(self) -> None:
        # Each app that owns publicised data registers its kinds in its `publicity` module.
        autodiscover_modules("publicity")
        from publicity import tasks_notices  # noqa: F401
