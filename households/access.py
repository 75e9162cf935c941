"""Which projects a user may see: the one place object-level access is decided.

District-level staff hold `households.access_all_projects` (superusers hold every
permission) and see every project. Anyone else sees only the projects granted to them
through `ProjectAccess`; a user with no grants sees none. Roles still decide what a user may
*do*; this decides *where*.

Staff pages, the API, the admin and the services that take a project from input all call
the functions below, so a user of one project never sees another's households:

- `projects_q(user, path)` filters any queryset whose `path` leads to a project; it adds a
  subquery to the same SQL statement, never an extra query, so list query counts hold;
- `require_project(user, project)` is for object pages: a project the user may not see is a
  404, exactly like one that does not exist;
- `require_project_access(actor, project)` is for services: a `NotAllowed` error.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from households.models import Project, ProjectAccess
from resettlement.admin_history import latest_version
from resettlement.errors import NotAllowed

ALL_PROJECTS = "households.access_all_projects"


def sees_all_projects(user) -> bool:
    return bool(user is not None and user.is_active and user.has_perm(ALL_PROJECTS))


def projects_q(user, path: str = "project") -> Q:
    """A filter keeping the rows whose `path` (a project foreign key, e.g. "project",
    "household__project", or "pk" for projects themselves) is a project `user` may see."""
    if sees_all_projects(user):
        return Q()
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    granted = ProjectAccess.objects.filter(user_id=user.pk).values("project_id")
    return Q(**{f"{path}__in": granted})


def visible_projects(user) -> QuerySet[Project]:
    return Project.objects.filter(projects_q(user, "pk"))


def chosen_project(user, code: str | None) -> Project | None:
    """For staff pages with a project picker (?project=<code>): that project if `user` may
    see it (else 404, like one that does not exist), or with no code the newest project
    they may see (the one being worked on), None when they see none."""
    projects = visible_projects(user)
    if code:
        project = projects.filter(code=code).first()
        if project is None:
            raise Http404(_("没有这个项目。"))
        return project
    return projects.order_by("-created_at", "-id").first()


def picked_project(request) -> tuple[list[Project], Project | None]:
    """For list pages whose project picker may stay empty (?project=<code>): the projects
    `request.user` may see, by code, and the one picked among them (None when no code or
    one they do not see was sent)."""
    projects = list(visible_projects(request.user).order_by("code"))
    code = request.GET.get("project", "")
    return projects, next((p for p in projects if p.code == code), None)


def requested_project(request) -> Project | None:
    """`chosen_project` for the code a page's picker sent, in the query or the form."""
    return chosen_project(request.user, request.GET.get("project") or request.POST.get("project"))


def can_see_project(user, project: Project | int | None) -> bool:
    if project is None:
        return False
    if sees_all_projects(user):
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    project_id = project.pk if isinstance(project, Project) else project
    return ProjectAccess.objects.filter(user_id=user.pk, project_id=project_id).exists()


def require_project(user, project: Project | int | None) -> None:
    """For object pages and API details: 404 unless `user` may see `project` (a project one
    may not see is reported like one that does not exist)."""
    if not can_see_project(user, project):
        raise Http404


def require_project_access(actor, project: Project | int | None) -> None:
    """For services that take a project from their input (registering, importing, opening
    a lottery session, drafting a publication)."""
    if not can_see_project(actor, project):
        raise NotAllowed(
            "project_not_granted",
            _("您没有该项目的权限;请联系管理员授权。"),
        )


def project_of_version(model, version, path: str) -> int | None:
    """The project `version` (a historical version of a row of `model`, or a row) belongs
    to, following `path` ("pk", "project", "household__project" …) through rows that may
    have been deleted since (then through their own last version)."""
    if path == "pk":
        return getattr(version, model._meta.pk.attname)
    name, _sep, rest = path.partition("__")
    field = model._meta.get_field(name)
    value = getattr(version, field.attname)
    if not rest or value is None:
        return value
    related = field.related_model
    row = related._base_manager.filter(pk=value).first() or latest_version(related, value)
    return None if row is None else project_of_version(related, row, rest)


class ProjectScopedAdmin:
    """Mixin for a ModelAdmin of project-bound rows: the change list, the change and
    history pages and the foreign-key choices show only what the user may see; a deleted
    row's history only to those who may see the project its last version names.
    `project_path` leads from the model to its project."""

    project_path = "project"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(projects_q(request.user, self.project_path))

    def may_view_deleted(self, request, version) -> bool:
        project = project_of_version(self.model, version, self.project_path)
        return can_see_project(request.user, project)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related is Project:
            kwargs.setdefault("queryset", visible_projects(request.user))
        elif any(f.name == "project" and f.related_model is Project for f in related._meta.fields):
            kwargs.setdefault("queryset", related._default_manager.filter(projects_q(request.user)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
