"""Admin: publications and objections to look at, never to edit. Publishing, withdrawing
and versioning go through the staff publicity pages, answers through the objection pages;
a published snapshot cannot be changed here (nor anywhere: the database refuses)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.access import ProjectScopedAdmin
from publicity.models import Objection, ObjectionStatus, Publication, PublicityPeriod
from publicity.services import periods as period_services
from resettlement import publicity_kinds
from resettlement.admin_readonly import ReadOnlyAdmin
from resettlement.admin_services import ServiceAdmin, ServiceForm
from resettlement.masking import Mask
from resettlement.people import person_name
from resettlement.personal_data import PersonalDataAdminMixin

PREVIEW_ROWS = 20


def _who(user) -> str:
    return person_name(user)


@admin.register(Publication)
class PublicationAdmin(ProjectScopedAdmin, ReadOnlyAdmin):
    list_display = (
        "title",
        "version",
        "kind_label",
        "community",
        "status",
        "starts_on",
        "ends_on",
        "row_count",
        "published_at",
    )
    list_filter = ("status", "kind", ("project", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "content_hash")
    list_select_related = ("project", "community")
    fields = (
        "title",
        "project",
        "community",
        "kind_label",
        "version",
        "status",
        "starts_on",
        "ends_on",
        "mask_names",
        "row_count",
        "content_hash",
        "withdrawn_reason",
        "public_page",
        "timeline",
        "preview",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        # Lists never load the rows; the preview on one publication's page loads them.
        return super().get_queryset(request).defer("rows")

    @admin.display(description=gettext_lazy("公示类型"))
    def kind_label(self, obj: Publication) -> str:
        return publicity_kinds.label_of(obj.kind)

    @admin.display(description=gettext_lazy("公开页面"))
    def public_page(self, obj: Publication) -> str:
        if not obj.is_public:
            return _("草稿不公开")
        url = reverse("public:publication-detail", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=gettext_lazy("经过"))
    def timeline(self, obj: Publication) -> str:
        events = [(obj.created_at, _("创建草稿(第 %(v)s 版)") % {"v": obj.version}, obj.created_by)]
        if obj.published_at:
            events.append((obj.published_at, _("发布"), obj.published_by))
        if obj.withdrawn_at:
            events.append((obj.withdrawn_at, _("撤回:%(r)s") % {"r": obj.withdrawn_reason}, None))
        following = Publication.objects.filter(previous=obj).only("pk", "version", "created_at")
        for later in following:
            events.append((later.created_at, _("新版本:第 %(v)s 版") % {"v": later.version}, None))
        for objection in obj.objections.select_related("answered_by"):
            events.append((objection.filed_at, _("收到异议"), None))
            if objection.status == ObjectionStatus.ANSWERED:
                verdict = _("成立") if objection.upheld else _("不成立")
                events.append(
                    (
                        objection.answered_at,
                        _("答复异议:%(v)s") % {"v": verdict},
                        objection.answered_by,
                    )
                )
        events.sort(key=lambda event: event[0])
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{} · {}{}</li>",
                (
                    (
                        f"{timezone.localtime(when):%Y-%m-%d %H:%M}",
                        what,
                        f" · {_who(who)}" if who else "",
                    )
                    for when, what, who in events
                ),
            ),
        )

    @admin.display(description=gettext_lazy("公示内容(前 20 行)"))
    def preview(self, obj: Publication) -> str:
        if not obj.rows:
            return _("发布时生成。")
        header = format_html_join("", "<th>{}</th>", ((c,) for c in obj.columns))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),)
                for row in obj.rows[:PREVIEW_ROWS]
            ),
        )
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", header, body
        )


@admin.register(Objection)
class ObjectionAdmin(PersonalDataAdminMixin, ProjectScopedAdmin, ReadOnlyAdmin):
    project_path = "publication__project"
    personal_fields = {"contact_phone": Mask.PHONE}

    list_display = (
        "filed_at",
        "publication",
        "household_code",
        "contact_name",
        "status",
        "upheld",
        "answered_at",
    )
    list_filter = (
        "status",
        "upheld",
        ("publication__project", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("household_code", "contact_name", "text")
    list_select_related = ("publication",)
    fields = (
        "publication",
        "household_code",
        "contact_name",
        "contact_phone",
        "text",
        "attachment_type",
        "filed_at",
        "status",
        "upheld",
        "answer",
        "answered_by",
        "answered_at",
        "staff_page",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("办理"))
    def staff_page(self, obj: Objection) -> str:
        label = _("去答复") if obj.status == ObjectionStatus.OPEN else _("查看答复")
        return format_html(
            '<a href="{}">{}</a>', reverse("objections:detail", args=[obj.pk]), label
        )


class PublicityPeriodForm(ServiceForm):
    fixed_once_saved = ("project", "kind")
    kind = forms.ChoiceField(label=gettext_lazy("公示类型"), choices=publicity_kinds.choices)

    class Meta:
        model = PublicityPeriod
        fields = ["project", "kind", "days"]

    def call(self, actor) -> PublicityPeriod:
        data = self.cleaned_data
        return period_services.publicity_period_set(
            actor=actor, project=data["project"], kind=data["kind"], days=data["days"]
        )


@admin.register(PublicityPeriod)
class PublicityPeriodAdmin(ProjectScopedAdmin, ServiceAdmin):
    """A project's own publication period for a kind (otherwise the kind's default)."""

    form = PublicityPeriodForm
    list_display = ("project", "kind_label", "days", "changed_by", "changed_at")
    list_filter = (("project", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("project", "changed_by")

    @admin.display(description=gettext_lazy("公示类型"))
    def kind_label(self, obj: PublicityPeriod) -> str:
        return publicity_kinds.label_of(obj.kind)
