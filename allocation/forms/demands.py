"""Forms of the demand pages. They only parse input; the services judge it and their
RuleViolation details are put back on the right field here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import forms
from django.utils.translation import gettext_lazy as _

from allocation.models import ApartmentType

_COUNT = forms.NumberInput(attrs={"min": 0, "max": 20, "inputmode": "numeric", "class": "count"})


class DemandForm(forms.Form):
    """One count field per apartment type of the project, named by the type's code."""

    def __init__(self, *args, types: Sequence[ApartmentType], initial_items=None, **kwargs):
        initial = {t.code: (initial_items or {}).get(t.code, 0) for t in types}
        super().__init__(*args, initial=initial, **kwargs)
        self.types = list(types)
        for apartment_type in self.types:
            field = forms.IntegerField(
                label=f"{apartment_type.name}({apartment_type.code},"
                f"{apartment_type.nominal_area}㎡)",
                min_value=0,
                max_value=20,
                required=False,
                widget=_COUNT,
            )
            field.nominal_area = apartment_type.nominal_area
            self.fields[apartment_type.code] = field

    def items(self) -> dict[str, int]:
        """The chosen counts, leaving out types not chosen (blank or 0)."""
        return {code: n for code, n in self.cleaned_data.items() if n}

    def apply_errors(self, details: Sequence[Mapping] | None, message: str) -> None:
        """Put a RuleViolation's details on the count fields they name (`items.<code>`)."""
        for detail in details or [{"message": message}]:
            field = str(detail.get("field") or "")
            code = field.removeprefix("items.") if field.startswith("items.") else None
            self.add_error(code if code in self.fields else None, detail["message"])


class LockForm(forms.Form):
    community = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label=_("我已核对,确认锁定;锁定后户型选择不能再修改"), required=True
    )
