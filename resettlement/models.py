"""The tamper-evident audit trail shared by every app (DESIGN §2 step 8, §3).

One row per decision — a qualification approval, a publication, a lottery sign-off, a fund
approval, a payment — appended by `resettlement.audit.audit_record` inside the decision's own
transaction. Each row carries the SHA-256 of the row before it, so changing, deleting or
reordering any row breaks the chain where it happened (`manage.py verify_audit`). The hash
input is documented in docs/audit.md.

Rows are never changed: the database refuses UPDATE (and on PostgreSQL DELETE) through
triggers (migration 0002), the model refuses to save an existing row, and the admin is
read-only. The constraints make a fork impossible: one row per sequence number, and no two
rows may follow the same predecessor.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The predecessor of entry 1.
GENESIS_HASH = "0" * 64


class AppendOnly(models.Model):
    """A row written once (by resettlement.audit) and never changed or deleted through the
    model; the database refuses it too (triggers)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(f"{self._meta.model_name} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.model_name} rows are append-only")


class AuditEntry(AppendOnly):
    sequence = models.PositiveBigIntegerField(_("序号"))
    recorded_at = models.DateTimeField(_("记录时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The actor's id is part of the hash: a user with audit entries can be disabled,
        # never deleted.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_username = models.CharField(_("操作人用户名"), max_length=150, blank=True)
    action = models.CharField(_("事项"), max_length=64)
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    object_label = models.CharField(_("对象"), max_length=255, blank=True)
    payload = models.JSONField(_("决定内容"), default=dict)
    previous_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("本条哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["sequence"], name="audit_sequence_unique"),
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
            # Two entries following the same predecessor would be a fork of the chain.
            models.UniqueConstraint(fields=["previous_hash"], name="audit_previous_hash_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="audit_sequence_positive"),
        ]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["action", "sequence"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_label}"


class HeadOccasion(models.TextChoices):
    """Why a head was published: the daily schedule, or a decision the public relies on."""

    DAILY = "daily", _("每日公布")
    PUBLICATION = "publication.publish", _("发布公示")
    LOTTERY_SIGN_OFF = "lottery.sign_off", _("摇号签署")


class PublishedHead(AppendOnly):
    """A head of the audit chain as published on the public site (/public/audit-heads/):
    "entry `sequence` had hash `hash`" at `published_at`. Copied outside the database (the
    public page, its JSON, printed records), these pin the chain: `verify_audit` checks that
    every published position still holds its published hash and that the chain still
    reaches the newest one.

    Append-only like the entries (triggers of migration 0003, and the model), and linked to
    no entry: a head must outlive a deleted tail to show it was there.
    """

    sequence = models.PositiveBigIntegerField(_("序号"))
    hash = models.CharField(_("哈希"), max_length=64)
    published_at = models.DateTimeField(_("公布时间"))
    occasion = models.CharField(_("公布时机"), max_length=32, choices=HeadOccasion.choices)

    class Meta:
        verbose_name = _("公布的审计链头")
        verbose_name_plural = _("公布的审计链头")
        ordering = ["-sequence"]
        constraints = [
            # One published hash per position: a second, different one would contradict it.
            models.UniqueConstraint(fields=["sequence"], name="published_head_sequence_unique"),
            models.CheckConstraint(
                condition=Q(sequence__gte=1), name="published_head_sequence_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.hash}"
