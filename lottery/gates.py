"""The lottery's gates: what must be true of the households before a step of the lottery.

Pure-ish functions the services call; each raises `RuleViolation` naming every household
(by code) that does not pass and what it lacks (docs/architecture.md, the rule table).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from households.models import Household, Project
from publicity.selectors.clearance import publication_clearance
from resettlement.errors import RuleViolation

SHOWN_IN_MESSAGE = 20


def require_publicity_cleared(project: Project, household_codes: Iterable[str]) -> None:
    """Before a binding session is created: every participating household appeared in a
    published entitlement roster whose period has ended, no objection naming it is open,
    and it did not change after that publication (publicity.selectors.clearance)."""
    households = Household.objects.filter(project=project, code__in=list(household_codes)).only(
        "pk", "code", "facts_changed_at"
    )
    households = sorted(households, key=lambda h: h.code)
    missing = publication_clearance(project, households)
    if not missing:
        return
    refused = [(h.code, missing[h.pk]) for h in households if h.pk in missing]
    details = [
        {
            "field": "communities",
            "household": code,
            "message": _("%(code)s:%(what)s") % {"code": code, "what": what},
        }
        for code, what in refused
    ]
    heading = _("以下 %(n)d 户尚未完成公示,不能参加摇号:") % {"n": len(refused)}
    # The message names the first households; the details (shown line by line) name all.
    named = ";".join(d["message"] for d in details[:SHOWN_IN_MESSAGE])
    if len(details) > SHOWN_IN_MESSAGE:
        named += _("……等共 %(n)d 户") % {"n": len(details)}
    raise RuleViolation(
        "not_cleared_by_publicity",
        heading + named,
        # The heading, then one line per household (the new-session form shows each).
        details=[{"field": "communities", "message": heading}, *details],
    )
