"""Checking a participating household in, in the hall, once its attendee's ID card was seen."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household, Member
from lottery.models import CheckIn, CheckInMethod, LotterySession
from lottery.services._common import OPEN_STATUSES, OPERATE, _lock, _require_status
from lottery.services.four_eyes import _require_operator
from resettlement.errors import RuleViolation
from resettlement.masking import Mask, mask
from resettlement.public_site import normalise_lookup_code
from resettlement.roles import require_permission


@transaction.atomic
def lottery_check_in(
    *, actor, session: LotterySession, credential: str, attendee: str, identity_confirmed: bool
) -> CheckIn:
    """Check a participating household in by its notice's lookup code or a member's ID
    number, once the operator has seen the attendee's ID card (`identity_confirmed`)."""
    require_permission(actor, OPERATE)
    session = _lock(session)
    _require_status(session, *OPEN_STATUSES, doing=_("签到"))
    _require_operator(actor, session)
    if not identity_confirmed:
        raise RuleViolation(
            "identity_not_confirmed", _("请先核验到场人的身份证件,并勾选“已核对到场人身份证件”。")
        )
    attendee = (attendee or "").strip()
    if not attendee:
        raise RuleViolation("attendee_blank", _("请填写到场人姓名。"))
    if len(attendee) > 50:
        raise RuleViolation("attendee_too_long", _("到场人姓名不能超过50个字符。"))
    # As printed on the notice (ABCD-EF23-45) or keyed in any way: dashes, spaces, lower
    # case and full-width characters do not matter, for the code as for an ID number.
    value = normalise_lookup_code(credential or "")
    if not value:
        raise RuleViolation("credential_blank", _("请输入通知书查询码或身份证号。"))
    household = Household.objects.filter(project_id=session.project_id, lookup_code=value).first()
    method = CheckInMethod.NOTICE_CODE
    if household is None:
        member = (
            Member.objects.filter(project_id=session.project_id, id_number=value)
            .select_related("household")
            .first()
        )
        household = member.household if member else None
        method = CheckInMethod.ID_NUMBER
    if household is None:
        raise RuleViolation(
            "credential_unknown",
            # Typed, not shown back in full: the console is on a screen in the hall.
            _("查询码或身份证号“%(v)s”不属于本项目的任何安置户。") % {"v": mask(value, Mask.TEXT)},
        )
    if household.code not in {p["code"] for p in session.participants}:
        raise RuleViolation(
            "not_participant",
            _("安置户 %(h)s 不在本场次的参加名单中。") % {"h": household.code},
        )
    earlier = CheckIn.objects.filter(session=session, household=household).first()
    if earlier is not None:
        raise RuleViolation(
            "already_checked_in",
            _("安置户 %(h)s 已于 %(t)s 签到(到场人:%(a)s)。")
            % {
                "h": household.code,
                "t": timezone.localtime(earlier.checked_in_at).strftime("%H:%M"),
                "a": earlier.attendee,
            },
        )
    try:
        with transaction.atomic():
            return CheckIn.objects.create(
                session=session,
                household=household,
                method=method,
                attendee=attendee,
                checked_in_by=actor,
            )
    except IntegrityError as exc:
        raise RuleViolation(
            "already_checked_in", _("安置户 %(h)s 已签到。") % {"h": household.code}
        ) from exc
