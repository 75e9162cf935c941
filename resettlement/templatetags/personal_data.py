"""Personal data in templates, decided by `resettlement.personal_data` and masked by
`resettlement.masking.mask`:

    {% load personal_data %}
    {% shown member.id_number "id_number" member %}   full, or masked for this user
    {{ objection.text|masked_text }}                  free text shown to the public
"""

from __future__ import annotations

from typing import Any

from django import template

from resettlement.masking import Mask, mask
from resettlement.personal_data import shown as shown_value

register = template.Library()


@register.simple_tag(takes_context=True)
def shown(context: template.Context, value: Any, kind: str, record: Any = None) -> str:
    """`value` as the signed-in user may see it; `record` is the row it belongs to, so the
    one record unmasked in this response (context `unmasked`) shows in full."""
    request = context.get("request")
    user = context.get("user") or getattr(request, "user", None)
    return shown_value(user, value, kind, record=record, unmasked=context.get("unmasked"))


@register.simple_tag
def masked(value: Any, kind: str) -> str:
    """`value` masked whoever reads it (public pages, printed notices)."""
    return mask(value, kind)


@register.filter
def masked_text(value: Any) -> str:
    """Free text with every ID or phone number in it masked."""
    return mask(value, Mask.TEXT)
