"""Forms of the housing-stock pages. They only parse input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.models import ApartmentStatus, Tier


class ApartmentFilterForm(forms.Form):
    building = forms.TypedChoiceField(label=_("楼栋"), required=False, coerce=int, empty_value=None)
    apartment_type = forms.TypedChoiceField(
        label=_("户型"), required=False, coerce=int, empty_value=None
    )
    tier = forms.ChoiceField(label=_("档次"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, estate, types, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["building"].choices = everything + [
            (b.pk, b.code) for b in estate.buildings.all()
        ]
        self.fields["apartment_type"].choices = everything + [(t.pk, str(t)) for t in types]
        self.fields["tier"].choices = everything + list(Tier.choices)
        self.fields["status"].choices = everything + list(ApartmentStatus.choices)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {key: value for key, value in self.cleaned_data.items() if value}
