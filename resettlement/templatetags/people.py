"""`{{ user|person }}`: a staff member's name as people read it (resettlement.people)."""

from __future__ import annotations

from django import template

from resettlement.people import person_name

register = template.Library()


@register.filter
def person(user) -> str:
    return person_name(user)
