"""`{{ publication.ends_on|period_left }}`: how a publication period stands today, in words
("剩余 12 天", "今天截止", "已期满"), counted by resettlement.periods (Asia/Shanghai date)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from resettlement import periods

register = template.Library()


@register.filter
def period_left(ends_on: dt.date | None) -> str:
    if not ends_on:
        return ""
    left = periods.days_left(ends_on)
    return _("已期满") if left.ended else str(left)
