"""Forms for the clerks' registration screens. They only parse input; the services judge it
and their RuleViolation details are put back on the right field here."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from households.models import (
    Community,
    DocumentKind,
    HousingWelfare,
    HukouNature,
    MaritalStatus,
    Project,
    Relation,
    ReviewStatus,
    Sex,
    SpecialStatus,
    VillagerGroup,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HouseholdForm(forms.Form):
    project = forms.ModelChoiceField(Project.objects.all(), label=_("项目"))
    community = forms.ModelChoiceField(Community.objects.all(), label=_("村/社区"))
    group = forms.ModelChoiceField(
        VillagerGroup.objects.select_related("community"), label=_("村民小组")
    )
    code = forms.CharField(label=_("户编号"), max_length=32)
    address = forms.CharField(label=_("原住址"), max_length=200, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    agreement_number = forms.CharField(label=_("拆迁补偿协议编号"), max_length=64, required=False)
    demolished_area = forms.DecimalField(
        label=_("被拆迁房屋面积(㎡)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    notes = forms.CharField(
        label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def household_data(self) -> dict:
        return {
            key: self.cleaned_data.get(key)
            for key in ("code", "address", "phone", "agreement_number", "demolished_area", "notes")
        }


class HouseholdEditForm(HouseholdForm):
    """Editing keeps the household in its project, community and group."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("project", "community", "group"):
            del self.fields[name]


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off", "size": 20}),
    )
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(label=_("出生日期"), widget=DATE, required=False)
    hukou_nature = forms.ChoiceField(label=_("户口性质"), choices=HukouNature.choices)
    hukou_moved_in = forms.DateField(label=_("户口迁入日期"), widget=DATE, required=False)
    hukou_moved_out = forms.DateField(label=_("户口迁出日期"), widget=DATE, required=False)
    marital_status = forms.ChoiceField(label=_("婚姻状况"), choices=MaritalStatus.choices)
    special_status = forms.ChoiceField(label=_("特殊情况"), choices=SpecialStatus.choices)
    one_child_certificate = forms.BooleanField(label=_("独生子女证"), required=False)
    housing_welfare = forms.ChoiceField(label=_("已享受住房福利"), choices=HousingWelfare.choices)

    def has_changed(self) -> bool:
        # Select boxes always submit a value; a row counts as filled in once it has a name
        # or an ID number, so an untouched extra row is simply ignored.
        if self.is_bound and not self.initial:
            return bool(
                self.data.get(self.add_prefix("name"))
                or self.data.get(self.add_prefix("id_number"))
            )
        return super().has_changed()

    def member_data(self) -> dict:
        return dict(self.cleaned_data)


class BaseMemberFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not [f for f in self.forms if f.has_changed()]:
            raise forms.ValidationError(_("至少要登记一名成员(户主)。"))

    def members_data(self) -> list[dict]:
        return [f.member_data() for f in self.forms if f.has_changed()]


MemberFormSet = formset_factory(MemberForm, formset=BaseMemberFormSet, extra=1, max_num=15)


def add_change_reason(form: forms.Form) -> forms.Form:
    """Ask for the written reason change control needs (households.gates.change_reason): the
    service's refusal names the field `reason`, so it lands on it."""
    form.fields["reason"] = forms.CharField(
        label=_("变更原因"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("该户已审核:修改成员、户口情况、面积或协议编号须写明原因,保存后重新审核。"),
    )
    return form


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("材料类型"), choices=DocumentKind.choices)
    member = forms.IntegerField(required=False, widget=forms.HiddenInput)
    file = forms.FileField(
        label=_("文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class UnmaskForm(forms.Form):
    """Which one number to see in full, and why (households.services.unmask). The reason is
    checked by the service, so the page and the API refuse a missing one the same way."""

    PHONE = "phone"

    record = forms.ChoiceField(label=_("查看哪一项"))
    reason = forms.CharField(
        label=_("理由"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如:摇号签到时身份证与登记信息不一致,需核对。"),
    )

    def __init__(self, *args, household, members: Sequence, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(f"member-{m.pk}", _("%(n)s 的身份证号") % {"n": m.name}) for m in members]
        if household.phone:
            choices.insert(0, (self.PHONE, _("户联系电话")))
        self.fields["record"].choices = choices
        self._members = {f"member-{m.pk}": m for m in members}

    def member(self):
        """The member whose ID number was chosen, or None for the household's phone."""
        return self._members.get(self.cleaned_data["record"])


class MemberReviewForm(forms.Form):
    """A reviewer's finding on one member (households.services.review.member_review): the
    service decides whether it overrides the verdict and refuses a missing reason."""

    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[(ReviewStatus.PASSED, _("通过")), (ReviewStatus.REJECTED, _("不通过"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("审核意见 / 理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不通过或改变系统判定时必须填写。"),
    )


class HouseholdApprovalForm(forms.Form):
    """A leader's approval of one household: the 审批意见 and, when documents are missing,
    the written reason for approving without them."""

    opinion = forms.CharField(
        label=_("审批意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    documents_override_reason = forms.CharField(
        label=_("缺少材料仍予审批的理由"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BulkApprovalForm(forms.Form):
    """The households chosen on the approval queue and one 审批意见 for all of them;
    `confirmed` is set only by the confirmation page that named their count."""

    households = forms.CharField(required=False)
    opinion = forms.CharField(label=_("审批意见"), required=False, max_length=2000)
    confirmed = forms.BooleanField(required=False)

    def __init__(self, data=None, **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.chosen: list[int] = []
        if data is not None:
            values = data.getlist("household") if hasattr(data, "getlist") else []
            values += (data.get("households") or "").split(",")
            self.chosen = sorted({int(v) for v in values if str(v).strip().isdigit()})
