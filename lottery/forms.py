"""Forms for the lottery console. They only parse input; lottery.services judges it."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.models import Estate
from households.models import Community, Project
from lottery.models import LotterySession, SessionMode

# Community codes in a fixed village order may be separated by commas (either width),
# semicolons, spaces or new lines: whatever the clerk types from the villagers' resolution.
ORDER_SEPARATORS = re.compile(r"[\s,,;;、]+")


class SessionCreateForm(forms.Form):
    code = forms.CharField(
        label=_("场次编号"),
        max_length=LotterySession._meta.get_field("code").max_length,
        help_text=_("例如 2024-01;公开页面和公证记录都用这个编号。"),
    )
    title = forms.CharField(label=_("场次名称"), max_length=200)
    estate = forms.ModelChoiceField(Estate.objects.none(), label=_("安置小区"))
    communities = forms.ModelMultipleChoiceField(
        Community.objects.none(),
        label=_("参加的村/社区"),
        widget=forms.CheckboxSelectMultiple,
    )
    mode = forms.ChoiceField(
        label=_("摇号方式"),
        choices=SessionMode.choices,
        initial=SessionMode.DIRECT,
        widget=forms.RadioSelect,
    )
    rehearsal = forms.BooleanField(
        label=_("演练(不公开、不生效)"),
        required=False,
        help_text=_("演练与正式摇号流程完全相同,但处处标明“演练”,结果不公布、不分配房屋。"),
    )
    fixed_village_order = forms.CharField(
        label=_("决议确定的村序"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("例如 C01, C02, C03")}),
        help_text=_("村民代表会议已决议房到村的顺序时,按顺序填写村/社区编号;留空则现场摇出。"),
    )

    # rs-lottery-v2 (docs/lottery.md §13a): a public random value that does not exist yet.
    public_source_kind = forms.ChoiceField(
        label=_("事先指定的公开随机数"),
        required=False,
        choices=[
            ("", _("不指定(仅限演练,rs-lottery-v1)")),
            ("welfare_lottery", _("中国福利彩票某一期开奖号码")),
            ("sports_lottery", _("中国体育彩票某一期开奖号码")),
            ("drand", _("drand 随机信标某一轮")),
        ],
        help_text=_(
            "正式摇号必须指定一个现在尚未产生、摇号前会公布的公开随机数;"
            "种子由服务器密钥、现场见证随机数和它共同决定。演练可以不指定。"
        ),
    )
    public_game = forms.CharField(label=_("彩票玩法"), required=False, max_length=40)
    public_draw = forms.CharField(label=_("期号"), required=False, max_length=40)
    public_date = forms.DateField(
        label=_("开奖日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    public_chain = forms.CharField(label=_("drand 链哈希"), required=False, max_length=64)
    public_round = forms.IntegerField(label=_("drand 轮次"), required=False, min_value=1)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.fields["estate"].queryset = Estate.objects.filter(project=project).order_by("code")
        self.fields["communities"].queryset = Community.objects.filter(project=project).order_by(
            "code"
        )

    def clean_fixed_village_order(self) -> list[str] | None:
        text = self.cleaned_data["fixed_village_order"].strip()
        if not text:
            return None
        return [code for code in ORDER_SEPARATORS.split(text) if code]

    def public_source(self) -> dict | None:
        """The named public value as the service takes it (it judges the fields)."""
        data = self.cleaned_data
        kind = data.get("public_source_kind")
        if not kind:
            return None
        if kind == "drand":
            return {
                "kind": kind,
                "chain": data.get("public_chain"),
                "round": data.get("public_round"),
            }
        date = data.get("public_date")
        return {
            "kind": kind,
            "game": data.get("public_game"),
            "draw": data.get("public_draw"),
            "date": date.isoformat() if date else "",
        }


class PublicValueForm(forms.Form):
    value = forms.CharField(
        label=_("公开随机数"),
        max_length=200,
        help_text=_("按公布的原文录入:彩票的开奖号码;drand 的 randomness(64 位十六进制)。"),
    )
    signature = forms.CharField(
        label=_("drand 签名"),
        required=False,
        max_length=400,
        help_text=_("仅 drand:该轮公布的 signature(十六进制)。"),
    )


class CheckInForm(forms.Form):
    credential = forms.CharField(
        label=_("通知书查询码或身份证号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    attendee = forms.CharField(label=_("到场人姓名"), max_length=50)
    identity_confirmed = forms.BooleanField(
        label=_("已核对到场人身份证件"),
        required=False,
        help_text=_("请核对身份证原件与户内成员或委托书一致后勾选。"),
    )


class ConfirmForm(forms.Form):
    participants_sha256 = forms.CharField(max_length=64)
    inventory_sha256 = forms.CharField(max_length=64)


class EntropyForm(forms.Form):
    witness_entropy = forms.CharField(
        label=_("见证随机数"),
        max_length=1000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_(
            "现场产生:例如掷骰子的点数,或由群众代表当场报出的数字,"
            "也可以是已公布的福利彩票开奖号码。录入后即确定全部摇号顺序,不能修改。"
        ),
    )


class DrawForm(forms.Form):
    expected_position = forms.IntegerField(min_value=1)


class PickForm(forms.Form):
    household = forms.CharField(max_length=32)
    apartments = forms.MultipleChoiceField(label=_("所选房号"), choices=())
    expected_sequence = forms.IntegerField(min_value=1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The apartments offered are the server's to judge (lottery_pick): any code passes
        # the form and the service names the one that is not free or not in the share.
        codes = self.data.getlist("apartments") if hasattr(self.data, "getlist") else []
        self.fields["apartments"].choices = [(code, code) for code in codes]


class SignOffForm(forms.Form):
    witnesses = forms.CharField(
        label=_("见证人"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("公证员、监督人员和群众代表的姓名及单位,每行一人。"),
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("作废原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("作废原因将在公开页面公布。作废后需新建场次,产生新的承诺值。"),
    )
    confirm = forms.BooleanField(
        label=_("我确认作废本场次,此操作不能撤销"),
        required=True,
        error_messages={"required": _("请勾选确认后再作废。")},
    )
