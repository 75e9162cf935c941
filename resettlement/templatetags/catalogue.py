"""`translated`: a stored text in the reader's language when the catalogue has it.

A publication's snapshot is frozen in Chinese — its column labels and enumerated cells (户主,
农业) as published, which its hash covers. An English reader sees them translated where the
message catalogue has the very same text; names, codes and anything else pass unchanged."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def translated(value: Any) -> Any:
    return gettext(value) if isinstance(value, str) and value else value
