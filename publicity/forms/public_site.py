"""What every form of the public site shares (the spam trap). Forms parse input; the services
judge it and their RuleViolation details are put back on the fields named."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

HONEYPOT = "website"


class PublicForm(forms.Form):
    """A form anyone may post on the public site, with a field only bots fill in: the page
    renders it apart from the others (`visible_fields_only`), hidden by its CSS."""

    website = forms.CharField(
        label=_("网址"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    @property
    def visible_fields_only(self) -> list:
        return [f for f in self.visible_fields() if f.name != HONEYPOT]
