"""Free text as it enters the system: the one cleaning every input path shares.

`clean_text` removes the Unicode bidirectional controls (U+202A–U+202E embeddings and
overrides, U+2066–U+2069 isolates, the invisible marks U+200E, U+200F and U+061C). They
have no place in a name, an address or a complaint, and they make text display other than
it reads — "Trojan Source": a name that shows as 王某 but sorts, searches and masks as
something else, or a publicity roster whose columns appear swapped.

It runs, together with a length limit for text that has none of its own (`TEXT_MAX_LENGTH`,
2,000 characters; a household's notes once took 5 MB), at the input layer:

- every Django form text field (staff pages, the admin, the public forms) and every DRF
  serializer text field — `install()`, called once at start-up, makes `CharField` of both
  call it, so no form or serializer written later can forget it. Password fields keep what
  was typed;
- the Excel/CSV imports (`households.resources`, `allocation.resources`) and the shared
  registry checks (`households.validation`), which services also run.

Fields with a `max_length` of their own keep it; the database columns are unchanged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from rest_framework import fields as drf_fields

BIDI_CONTROLS = (
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT / RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
_REMOVE_BIDI = str.maketrans("", "", BIDI_CONTROLS)

# Free text (notes, reasons, answers, comments) without a limit of its own.
TEXT_MAX_LENGTH = 2000


def clean_text(value: str) -> str:
    """`value` without bidirectional controls."""
    return value.translate(_REMOVE_BIDI)


def _form_to_python(original):
    def to_python(self: forms.CharField, value: Any) -> Any:
        if isinstance(value, str) and not isinstance(self.widget, forms.PasswordInput):
            value = clean_text(value)
        value = original(self, value)
        if self.max_length is None and isinstance(value, str):
            MaxLengthValidator(TEXT_MAX_LENGTH)(value)
        return value

    return to_python


def _serializer_to_internal_value(original):
    def to_internal_value(self: drf_fields.CharField, data: Any) -> Any:
        if isinstance(data, str):
            data = clean_text(data)
        value = original(self, data)
        if self.max_length is None and len(value) > TEXT_MAX_LENGTH:
            self.fail("max_length", max_length=TEXT_MAX_LENGTH)
        return value

    return to_internal_value


def install() -> None:
    """Make Django's and DRF's text fields clean their input and limit its length (once)."""
    if getattr(forms.CharField, "_cleans_text", False):
        return
    forms.CharField.to_python = _form_to_python(forms.CharField.to_python)
    forms.CharField._cleans_text = True
    drf_fields.CharField.to_internal_value = _serializer_to_internal_value(
        drf_fields.CharField.to_internal_value
    )
