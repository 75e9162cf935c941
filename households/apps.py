from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "households"
    verbose_name = _("登记与资格审核")

    def ready(self) -> None:
        from households.access import require_project_access, visible_projects
        from households.models import Project
        from resettlement.imports.projects import ProjectScope, register

        register(
            ProjectScope(
                model=Project, visible=visible_projects, require_access=require_project_access
            )
        )
