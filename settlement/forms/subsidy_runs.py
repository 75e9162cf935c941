"""Forms of the transition policy and the transition-subsidy runs' pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from settlement.models import CashValuationDay, SubsidySchedule


class TransitionPolicyForm(forms.Form):
    schedule = forms.ChoiceField(label=_("发放周期"), choices=SubsidySchedule.choices)
    transition_months = forms.IntegerField(
        label=_("过渡期(月)"),
        min_value=1,
        help_text=_("搬迁腾房后至承诺回迁的月数;未单独录入承诺回迁日期的户按此计算。"),
    )
    overdue_multiplier = forms.DecimalField(
        label=_("超期过渡费倍数"),
        max_digits=4,
        decimal_places=2,
        help_text=_("超过承诺回迁日期后,过渡费按标准的此倍数发放;1 表示不增加。"),
    )
    months_after_handover = forms.IntegerField(
        label=_("交房后继续发放(月)"),
        min_value=0,
        help_text=_("交付安置房后过渡费继续发放的月数(如浙江省条例第二十四条为6个月)。"),
    )
    overdue_cash_option = forms.BooleanField(label=_("超期可改货币补偿"), required=False)
    cash_valuation_day = forms.ChoiceField(
        label=_("改货币补偿的估价日"), choices=CashValuationDay.choices
    )


class NewRunForm(forms.Form):
    period = forms.ChoiceField(label=_("发放期"))

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [
            (f"{start.isoformat()}|{end.isoformat()}", f"{label}({start} — {end})")
            for start, end, label in periods
        ]


class ResultUploadForm(forms.Form):
    file = forms.FileField(label=_("银行回盘文件(xlsx 或 csv)"))
    paid_on = forms.DateField(
        label=_("发放日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("银行入账的日期;不填为今天。"),
    )
