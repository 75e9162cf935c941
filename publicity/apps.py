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
        # The services queue the render tasks by name (publicity.services.rendering).
        from publicity import tasks  # noqa: F401
