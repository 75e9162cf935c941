"""The registry: projects and their policy, communities, villager groups, households,
members, documents; and each member's qualification verdict and review.

Invariants are named database constraints; the rules that change these rows live in
`households.services`.
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

AREA = {"max_digits": 10, "decimal_places": 2}


def default_required_documents() -> list[str]:
    """The approval checklist a new project starts with (households.gates): the household's
    hukou book and an ID card of every member aged 16 or over."""
    return ["hukou_book", "id_card"]


class Project(models.Model):
    """A resettlement project and the policy parameters its qualification rules use."""

    code = models.CharField(_("项目编号"), max_length=32, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    hukou_cutoff_date = models.DateField(
        _("户口截止日"), help_text=_("户口在此日(含)之前迁入本村的人员符合安置条件。")
    )
    growth_deadline = models.DateField(
        _("自然增长截止日"),
        help_text=_("截止日之后至此日(含)出生或因婚姻迁入的人员按自然增长计入。"),
    )
    area_per_person = models.DecimalField(_("人均安置面积(㎡)"), **AREA)
    one_child_bonus_area = models.DecimalField(
        _("独生子女奖励面积(㎡)"), default=Decimal("0"), **AREA
    )
    single_person_bonus_area = models.DecimalField(
        _("单人户增加面积(㎡)"), default=Decimal("0"), **AREA
    )
    agricultural_eligible = models.BooleanField(_("农业户口可安置"), default=True)
    non_agricultural_eligible = models.BooleanField(_("非农业户口可安置"), default=False)
    resident_eligible = models.BooleanField(_("居民户口可安置"), default=True)
    # Kinds of DocumentKind a household must hold before it is approved (households.gates):
    # household-level kinds once, per-member kinds for each member the checklist asks it of.
    required_documents = models.JSONField(
        _("审批必备材料"),
        default=default_required_documents,
        blank=True,
        help_text=_("审批前必须上传的材料类型;缺少时不能审批,除非审批人书面说明理由。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        ordering = ["code"]
        permissions = [
            # District-level staff (区级) see every project; everyone else only the projects
            # granted to them (ProjectAccess). Superusers hold it implicitly.
            ("access_all_projects", _("查看全部项目(区级)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(growth_deadline__gte=models.F("hukou_cutoff_date")),
                name="project_growth_deadline_after_cutoff",
            ),
            models.CheckConstraint(
                condition=Q(area_per_person__gt=0)
                & Q(one_child_bonus_area__gte=0)
                & Q(single_person_bonus_area__gte=0),
                name="project_areas_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectAccess(models.Model):
    """A grant: `user` may see and work on `project`'s data. Without a grant (or the
    `access_all_projects` permission) a user sees nothing of the project, not even that it
    exists. See households.access."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="project_grants",
        verbose_name=_("用户"),
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="access_grants", verbose_name=_("项目")
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("授权人"),
    )
    granted_at = models.DateTimeField(_("授权时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("项目授权")
        verbose_name_plural = pgettext_lazy("plural", "项目授权")
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="project_access_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.project.code}"


class Community(models.Model):
    """村/社区."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="communities", verbose_name=_("项目")
    )
    code = models.CharField(_("社区编号"), max_length=32)
    name = models.CharField(_("社区名称"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村/社区")
        verbose_name_plural = pgettext_lazy("plural", "村/社区")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="community_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class VillagerGroup(models.Model):
    """村民小组. Its code is unique within the project (lottery step labels use it)."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="groups", verbose_name=_("项目")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="groups", verbose_name=_("村/社区")
    )
    code = models.CharField(_("小组编号"), max_length=32)
    name = models.CharField(_("小组名称"), max_length=100)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("村民小组")
        verbose_name_plural = pgettext_lazy("plural", "村民小组")
        ordering = ["project", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="villager_group_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} {self.name}"


LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper
LOOKUP_LENGTH = 10


def new_lookup_code() -> str:
    """A household's private lookup code: random (not derived from any personal data)."""
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(LOOKUP_LENGTH))


class HouseholdStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已审批")


class Household(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="households", verbose_name=_("项目")
    )
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="households", verbose_name=_("村/社区")
    )
    group = models.ForeignKey(
        VillagerGroup,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("村民小组"),
    )
    code = models.CharField(_("户编号"), max_length=32)
    # Printed on the household's notices: the resident's key to their own page.
    lookup_code = models.CharField(
        _("查询码"), max_length=16, unique=True, default=new_lookup_code, editable=False
    )
    address = models.CharField(_("原住址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    agreement_number = models.CharField(_("拆迁补偿协议编号"), max_length=64, blank=True)
    demolished_area = models.DecimalField(_("被拆迁房屋面积(㎡)"), default=Decimal("0"), **AREA)
    notes = models.TextField(_("备注"), blank=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=HouseholdStatus.choices,
        default=HouseholdStatus.REGISTERED,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    # Everyone who changed the household after registering it (user ids): with the
    # registrar they are barred from approving it (four-eyes).
    editor_ids = models.JSONField(_("修改人"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approval_opinion = models.TextField(_("审批意见"), blank=True)
    # Why the leader approved although a required document was missing (households.gates).
    documents_override_reason = models.TextField(_("材料缺失审批理由"), blank=True)
    # When a fact that feeds the entitlement or a statement (members, hukou facts, demolished
    # area, agreement number) last changed after the household was reviewed (change control,
    # households.services). A publication that froze the household before this moment no longer
    # shows it as it is: "changed after publication" until a new version is published.
    facts_changed_at = models.DateTimeField(_("审核后信息变更时间"), null=True, blank=True)
    resettlement_population = models.PositiveSmallIntegerField(_("安置人口"), null=True, blank=True)
    entitlement_area = models.DecimalField(_("应安置面积(㎡)"), null=True, blank=True, **AREA)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("安置户")
        verbose_name_plural = pgettext_lazy("plural", "安置户")
        ordering = ["project", "code"]
        permissions = [
            ("approve_household", _("审批安置户")),
            ("import_households", _("导入安置户名册")),
            ("export_households", _("导出安置户名册")),
            ("send_back_household", _("退回重新审核")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="household_code_unique"),
            models.CheckConstraint(
                condition=Q(demolished_area__gte=0), name="household_demolished_area_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(entitlement_area__isnull=True) | Q(entitlement_area__gte=0),
                name="household_entitlement_area_non_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(approved_by__isnull=False) & Q(entitlement_area__isnull=False)),
                name="household_approved_has_approver_and_entitlement",
            ),
        ]
        indexes = [models.Index(fields=["project", "status"], name="household_project_status")]

    def __str__(self) -> str:
        return self.code


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    GRANDCHILD = "grandchild", _("孙子女")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class HukouNature(models.TextChoices):
    AGRICULTURAL = "agricultural", _("农业")
    NON_AGRICULTURAL = "non_agricultural", _("非农业")
    RESIDENT = "resident", _("居民")


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", _("未婚")
    MARRIED = "married", _("已婚")
    DIVORCED = "divorced", _("离异")
    WIDOWED = "widowed", _("丧偶")


class SpecialStatus(models.TextChoices):
    NONE = "none", _("无")
    NEWBORN = "newborn", _("新生儿")
    NEW_SPOUSE = "new_spouse", _("婚入配偶")
    STUDENT_AWAY = "student_away", _("在校学生(户口临时迁出)")
    SERVICEMAN_AWAY = "serviceman_away", _("现役军人(户口临时迁出)")


class HousingWelfare(models.TextChoices):
    NONE = "none", _("未享受")
    PUBLIC_HOUSING = "public_housing", _("公房分配")
    HOUSING_REFORM = "housing_reform", _("房改房")
    AFFORDABLE = "affordable", _("经济适用房")
    LOW_RENT = "low_rent", _("廉租房")
    MONETARY_SUBSIDY = "monetary_subsidy", _("货币化分房补贴")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PASSED = "passed", _("通过")
    REJECTED = "rejected", _("不通过")


class Member(models.Model):
    """A person in a household, with the computed qualification verdict and the review.

    `project` repeats `household.project` so the database can hold an ID number unique per
    project; services set it, never callers.
    """

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("安置户")
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    relation = models.CharField(_("与户主关系"), max_length=16, choices=Relation.choices)
    hukou_nature = models.CharField(_("户口性质"), max_length=20, choices=HukouNature.choices)
    hukou_moved_in = models.DateField(
        _("户口迁入日期"), null=True, blank=True, help_text=_("出生即落户的留空。")
    )
    hukou_moved_out = models.DateField(_("户口迁出日期"), null=True, blank=True)
    marital_status = models.CharField(
        _("婚姻状况"),
        max_length=16,
        choices=MaritalStatus.choices,
        default=MaritalStatus.UNMARRIED,
    )
    special_status = models.CharField(
        _("特殊情况"), max_length=20, choices=SpecialStatus.choices, default=SpecialStatus.NONE
    )
    one_child_certificate = models.BooleanField(_("持独生子女证"), default=False)
    housing_welfare = models.CharField(
        _("已享受住房福利"),
        max_length=20,
        choices=HousingWelfare.choices,
        default=HousingWelfare.NONE,
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    # Everyone who changed this member after it was entered (user ids): with the person who
    # entered it they are barred from reviewing it (four-eyes).
    editor_ids = models.JSONField(_("修改人"), default=list, blank=True)
    # The computed verdict (households.qualification): all checks with their evidence, and
    # the failed codes as ",CODE,CODE," so every database can filter on one code.
    verdict_qualified = models.BooleanField(_("系统判定符合"), default=False)
    verdict_checks = models.JSONField(_("判定依据"), default=list)
    verdict_failures = models.CharField(_("未通过规则"), max_length=200, blank=True)
    review_status = models.CharField(
        _("审核结果"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_overridden = models.BooleanField(_("改变系统判定"), default=False)
    review_reason = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = pgettext_lazy("plural", "家庭成员")
        ordering = ["household_id", "id"]
        permissions = [("review_member", _("审核成员安置资格"))]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "id_number"], name="member_id_number_unique_per_project"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="member_one_head_per_household",
            ),
            models.CheckConstraint(
                condition=Q(review_status="pending") | Q(reviewed_by__isnull=False),
                name="member_reviewed_has_reviewer",
            ),
            models.CheckConstraint(
                condition=~(Q(review_status="rejected") | Q(review_overridden=True))
                | ~Q(review_reason=""),
                name="member_reject_or_override_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["id_number"], name="member_id_number"),
            models.Index(fields=["project", "review_status"], name="member_project_review"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_qualified(self) -> bool:
        return self.review_status == ReviewStatus.PASSED


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("拆迁补偿安置协议")
    HUKOU_BOOK = "hukou_book", _("户口簿")
    ID_CARD = "id_card", _("身份证")
    MARRIAGE_CERTIFICATE = "marriage_certificate", _("结婚证")
    ONE_CHILD_CERTIFICATE = "one_child_certificate", _("独生子女证")
    OTHER = "other", _("其他材料")


def document_upload_to(instance: Document, filename: str) -> str:
    # Never the uploader's file name: a random name under the household's project, with the
    # extension of the type we verified.
    return f"documents/{instance.household.project_id}/{uuid.uuid4().hex}{instance.extension}"


class Document(models.Model):
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="documents", verbose_name=_("安置户")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.CASCADE,
        related_name="documents",
        null=True,
        blank=True,
        verbose_name=_("成员"),
    )
    kind = models.CharField(_("材料类型"), max_length=32, choices=DocumentKind.choices)
    file = models.FileField(_("文件"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("证明材料")
        verbose_name_plural = pgettext_lazy("plural", "证明材料")
        ordering = ["household_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}.get(
            self.content_type, ".bin"
        )


class UnmaskField(models.TextChoices):
    ID_NUMBER = "id_number", _("身份证号")
    PHONE = "phone", _("联系电话")


class UnmaskRecord(models.Model):
    """One resident ID number or phone number shown in full, on purpose, to a user whose
    role sees them masked (resettlement.personal_data): who, when, which record and why.
    Written by `households.services.unmask` only; the supervising office reviews them."""

    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("安置户")
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("成员"),
    )
    field = models.CharField(_("查看项"), max_length=16, choices=UnmaskField.choices)
    # The member's name as it was: the record keeps saying whose number was seen even after
    # the member is removed from the household.
    person = models.CharField(_("当事人"), max_length=50)
    reason = models.TextField(_("理由"), max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("查看人"),
    )
    unmasked_at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("完整个人信息查看记录")
        verbose_name_plural = pgettext_lazy("plural", "完整个人信息查看记录")
        ordering = ["-unmasked_at", "-id"]
        permissions = [
            # Granted by role (resettlement.roles): ID and phone numbers shown in full.
            ("view_full_personal_data", _("查看完整身份证号和联系电话")),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="unmask_record_has_reason"),
            models.CheckConstraint(
                condition=Q(field="phone", member__isnull=True)
                | Q(field="id_number", person__gt=""),
                name="unmask_record_names_its_record",
            ),
        ]
        indexes = [models.Index(fields=["project", "unmasked_at"], name="unmask_project_time")]

    def __str__(self) -> str:
        return f"{self.household.code} {self.get_field_display()} {self.person}"
