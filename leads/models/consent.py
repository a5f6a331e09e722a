"""A parent's consent: which privacy notice they were shown, what they agreed to, how, when, by whom.

India's DPDP Act 2023 (section 9) and GDPR article 8 want a parent's verifiable consent before a
child's data is processed. Every door that saves a child (`Lead.create_enquiry`: the enquiry form, the
API, later the public form, imports and webhooks) records a `Consent` in the same transaction, through
`check_consent`, or saves nothing. A parent's latest consent row is the one that counts: recording a
new one supersedes the earlier (which stays, as the record of what was agreed then), withdrawing
stamps the latest and stops every message at once.

Privacy notices are versioned texts per center, kept forever: publishing a new text adds a version,
it never edits one. A center without its own notice shows the franchise's (center empty); a franchise
without any shows the built-in text below, stored as franchise version 1 the first time it is needed.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Action, CenterScopedQuerySet
from leads.lifecycle import LifecycleError, require_permission

BUILT_IN_NOTICE = (
    "We keep your and your child's name, age, school and your phone number and email to answer this "
    "enquiry, book a free trial class and follow up on it. With your agreement we also send reminders "
    "by SMS, WhatsApp or email, and news of our programs. Only our center's staff see this data. You may "
    "ask for a copy of it, withdraw your consent or ask us to erase it at any time at the center's desk."
)


class ConsentMethod(models.TextChoices):
    WEB_FORM = "WEB_FORM", "Web form checkbox"
    PHONE_VERBAL = "PHONE_VERBAL", "Verbally on the phone"
    IN_PERSON = "IN_PERSON", "Verbally at the center"
    PAPER_FORM = "PAPER_FORM", "Paper form signed"
    NOT_RECORDED = "NOT_RECORDED", "Not recorded (lead from before consent was kept)"


#: What a counselor or an integration may record; NOT_RECORDED is only ever written by the migration.
RECORDABLE_METHODS = [m for m in ConsentMethod.values if m != ConsentMethod.NOT_RECORDED]


class Purpose(models.TextChoices):
    PROCESSING = "processing", "Processing the enquiry"
    REMINDERS = "reminders", "Reminders by SMS, WhatsApp or email"
    MARKETING = "marketing", "News and offers (marketing)"


CONSENT_MISSING = (
    "Record the parent's consent before saving: how they agreed (phone, at the center, paper form or web "
    "form) and that they agree to the processing of this enquiry."
)
PROCESSING_REFUSED = (
    "Without the parent's agreement to the processing of this enquiry, nothing about the child can be saved."
)


class PrivacyNoticeQuerySet(CenterScopedQuerySet):
    def for_user(self, user):
        """A user's centers' notices and the franchise's (super admins: all)."""
        if getattr(user, "is_authenticated", False) and user.is_active and user.is_super_admin:
            return self.all()
        return super().for_user(user) | self.filter(center__isnull=True)


class PrivacyNotice(models.Model):
    center = models.ForeignKey(
        "accounts.Center",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="privacy_notices",
        help_text="Empty: the franchise's notice, shown by every center without its own.",
    )
    version = models.PositiveIntegerField(editable=False)
    text = models.TextField(help_text="What the parent is shown before agreeing. A new text is a new version.")
    published_at = models.DateTimeField(default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    objects = PrivacyNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["center_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["center", "version"], name="privacy_notice_version_per_center"),
            models.UniqueConstraint(
                fields=["version"], condition=Q(center__isnull=True), name="privacy_notice_version_franchise"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.center.code if self.center_id else 'Franchise'} notice v{self.version}"

    @classmethod
    def current_for(cls, center) -> PrivacyNotice:
        """The notice a parent of `center` is shown now: the center's latest, else the franchise's."""
        notice = (
            cls.objects.filter(Q(center=center) | Q(center__isnull=True))
            .order_by(models.F("center_id").desc(nulls_last=True), "-version")
            .first()
        )
        if notice is not None:
            return notice
        try:
            with transaction.atomic():
                return cls.objects.create(center=None, version=1, text=BUILT_IN_NOTICE)
        except IntegrityError:  # another request stored it first
            return cls.objects.get(center__isnull=True, version=1)

    @classmethod
    def publish(cls, *, center, text: str, by) -> PrivacyNotice:
        """A new version of `center`'s notice (None: the franchise's); earlier versions stay as they were."""
        text = (text or "").strip()
        if not text:
            raise ValidationError({"text": ["Write the notice the parents will read."]})
        if center is None:
            if not (by and by.is_super_admin):
                raise PermissionDenied("Only a super admin publishes the franchise's notice.")
        else:
            require_permission(by, Action.MANAGE_CENTER, center.pk)
        cls.current_for(center)  # the built-in text counts as the franchise's version 1 from its first use
        for _ in range(3):  # two publishers at once: the unique version refuses one, which takes the next
            # A center's versions continue the franchise's it showed until now, so "version 2" is never
            # two texts for one center's parents.
            shown = Q(center=center) | Q(center__isnull=True) if center is not None else Q(center__isnull=True)
            latest = cls.objects.filter(shown).aggregate(v=models.Max("version"))["v"] or 0
            try:
                with transaction.atomic():
                    return cls.objects.create(center=center, version=latest + 1, text=text, published_by=by)
            except IntegrityError:
                continue
        raise LifecycleError("Another notice was being published at the same moment: publish again.")


class ConsentQuerySet(CenterScopedQuerySet):
    center_lookup = "parent__center"

    def latest_first(self) -> ConsentQuerySet:
        return self.order_by("-obtained_at", "-pk")


class Consent(models.Model):
    parent = models.ForeignKey("leads.Parent", on_delete=models.PROTECT, related_name="consents")
    notice = models.ForeignKey(PrivacyNotice, on_delete=models.PROTECT, null=True, blank=True, related_name="consents")
    method = models.CharField(max_length=16, choices=ConsentMethod)
    processing = models.BooleanField(default=False)
    reminders = models.BooleanField(default=False)
    marketing = models.BooleanField(default=False)
    obtained_at = models.DateTimeField(default=timezone.now)
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    address = models.GenericIPAddressField(null=True, blank=True, help_text="Web form: the parent's address.")
    user_agent = models.CharField(max_length=255, blank=True, help_text="Web form: the parent's browser.")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-obtained_at", "-pk"]
        indexes = [
            # "This parent's consent now" (lead page, reminders) reads the latest row of one parent.
            models.Index(fields=["parent", "-obtained_at", "-id"], name="consent_parent_latest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ConsentMethod.values), name="consent_method_valid"),
            # A recorded consent always covers the enquiry itself; only "not recorded" rows lack it.
            models.CheckConstraint(
                condition=Q(processing=True) | Q(method=ConsentMethod.NOT_RECORDED), name="consent_covers_processing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} on {self.obtained_at:%Y-%m-%d}"

    @property
    def is_recorded(self) -> bool:
        return self.method != ConsentMethod.NOT_RECORDED

    @property
    def is_active(self) -> bool:
        return self.is_recorded and self.withdrawn_at is None

    def allows(self, purpose: str) -> bool:
        return self.is_active and bool(getattr(self, purpose))

    @property
    def purposes(self) -> list[str]:
        return [p for p in Purpose.values if getattr(self, p)]

    @classmethod
    def current(cls, parent_id: int) -> Consent | None:
        return cls.objects.filter(parent_id=parent_id).latest_first().select_related("notice", "obtained_by").first()

    @classmethod
    def parent_allows(cls, parent_id: int, purpose: str) -> bool:
        """One query: does the parent's latest consent allow `purpose` (a `Purpose` value) now?"""
        consent = cls.objects.filter(parent_id=parent_id).latest_first().first()
        return consent is not None and consent.allows(purpose)

    @classmethod
    def contact_refusal(cls, parent_id: int) -> str | None:
        """Why the parent may not be called or messaged now (withdrawn consent), else None.

        A parent whose consent is not recorded yet may be called: that is how it gets asked for.
        """
        consent = cls.objects.filter(parent_id=parent_id).latest_first().first()
        if consent is not None and consent.withdrawn_at is not None:
            return (
                f"The parent withdrew their consent on {timezone.localdate(consent.withdrawn_at):%d %b %Y}: "
                "do not call or message them."
            )
        return None

    # -- verbs -------------------------------------------------------------------------------------

    @classmethod
    def record(cls, parent, *, consent: dict[str, Any] | None, by) -> Consent:
        """A new consent of `parent` (say, the parent agreed to reminders after all); the earlier stays."""
        require_permission(by, Action.MANAGE_LEAD, parent.center_id)
        fields = check_consent(consent, parent.center, by=by)
        with transaction.atomic():
            return cls.objects.create(parent=parent, **fields)

    @classmethod
    def withdraw(cls, parent, *, by) -> Consent:
        """The parent takes their consent back: every purpose stops at once, the row says when and by whom."""
        require_permission(by, Action.MANAGE_LEAD, parent.center_id)
        with transaction.atomic():
            consent = cls.objects.select_for_update().filter(parent=parent).latest_first().first()
            if consent is None or not consent.is_active:
                raise LifecycleError(
                    "There is no consent to withdraw: the parent's consent is not recorded or already withdrawn."
                )
            consent.withdrawn_at, consent.withdrawn_by = timezone.now(), by
            consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
            return consent


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "on", "yes"))


def check_consent(consent: dict[str, Any] | None, center, *, by=None) -> dict[str, Any]:
    """Validate a door's consent input; return the `Consent` fields or raise ValidationError keyed
    "consent" / "consent.<field>" (the API answers 422 naming it; forms show it next to the field).

    `consent`: method (a `ConsentMethod` but NOT_RECORDED), processing (must be true), reminders,
    marketing, optionally notice_version (the version the parent was shown: it must be the center's
    current one), obtained_at, and for WEB_FORM the parent's address and user_agent.
    """
    if not consent:
        raise ValidationError({"consent": [CONSENT_MISSING]})
    errors: dict[str, list[str]] = {}
    method = consent.get("method") or ""
    if method not in RECORDABLE_METHODS:
        errors["consent.method"] = [f"Say how the parent agreed: one of {', '.join(RECORDABLE_METHODS)}."]
    if not _flag(consent.get("processing")):
        errors["consent.processing"] = [PROCESSING_REFUSED]
    notice = PrivacyNotice.current_for(center)
    shown = consent.get("notice_version")
    if shown not in (None, "") and str(shown) != str(notice.version):
        errors["consent.notice_version"] = [
            f"The privacy notice is now version {notice.version}: show the parent the current text and ask again."
        ]
    address = consent.get("address") or None
    user_agent = str(consent.get("user_agent") or "")[:255]
    if address is not None:
        try:
            validate_ipv46_address(address)
        except ValidationError:
            errors["consent.address"] = ["Give the parent's IP address, e.g. 203.0.113.7."]
    if method == ConsentMethod.WEB_FORM and (address is None or not user_agent):
        errors.setdefault("consent.address", ["A web-form consent carries the parent's address and user agent."])
    obtained_at = consent.get("obtained_at") or timezone.now()
    if timezone.is_naive(obtained_at):
        obtained_at = timezone.make_aware(obtained_at, center.tzinfo)
    if obtained_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["consent.obtained_at"] = ["Consent cannot be given in the future."]
    if errors:
        raise ValidationError(errors)
    return {
        "notice": notice,
        "method": method,
        "processing": True,
        "reminders": _flag(consent.get("reminders")),
        "marketing": _flag(consent.get("marketing")),
        "obtained_at": obtained_at,
        "obtained_by": by,
        "address": address,
        "user_agent": user_agent,
    }
