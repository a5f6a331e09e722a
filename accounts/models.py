"""Centers (the tenants), users with a role, and membership as a guardian permission on a Center."""

from __future__ import annotations

import datetime
import re
import zoneinfo

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from guardian.models import UserObjectPermissionBase

#: The one object permission that makes a user a member of a center.
MEMBERSHIP_PERM = "work_in_center"

#: The law's floor for keeping access logs (DPDP Rules 2025, rule 8: at least one year).
ACCESS_LOG_MIN_MONTHS = 12


#: One allowed website origin for the embedded enquiry form: https, a host name (a leading `*.` for
#: its subdomains, as CSP allows) and an optional port; no path. Nothing else can reach the header.
_ORIGIN = re.compile(
    r"^https://(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?$"
)


def embed_origin_lines(value: str) -> list[str]:
    """The non-empty lines of an `embed_origins` value, trimmed (a trailing slash is forgiven)."""
    return [line.strip().rstrip("/") for line in (value or "").splitlines() if line.strip()]


def _bad_port(origin: str) -> bool:
    port = origin.rsplit(":", 1)[1] if origin.count(":") == 2 else None
    return port is not None and not 0 < int(port) < 65536


def validate_embed_origins(value: str) -> None:
    """Each line an origin like https://www.example.com or https://example.com:8443."""
    bad = []
    for line in embed_origin_lines(value):
        if not _ORIGIN.match(line.lower()) or _bad_port(line):
            bad.append(line)
    if bad:
        raise ValidationError(
            "Not a website origin: %(bad)s. Write one per line as https://www.example.com "
            "(https, the host and an optional port; no path).",
            code="origin",
            params={"bad": ", ".join(bad[:3])},
        )


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Asia/Kolkata).")


class CenterScopedQuerySet(models.QuerySet):
    """Tenant data: `for_user` keeps the rows of the centers the user works in (all for super admins).

    `center_lookup` is the path from the model to its Center; this is the one scoping rule that
    pages, admin and the API share.
    """

    center_lookup = "center"

    def for_user(self, user):
        if getattr(user, "is_authenticated", False) and user.is_active and user.is_super_admin:
            return self.all()
        return self.filter(**{f"{self.center_lookup}__in": Center.objects.for_user(user)})

    def in_center(self, user, center_id: int | None):
        """Narrow to one center of the user's (None: leave as is); another center is refused."""
        if not center_id:
            return self
        if not user.works_in(center_id):
            raise PermissionDenied("You do not work in this center.")
        return self.filter(**{f"{self.center_lookup}_id" if self.center_lookup else "pk": center_id})


class CenterQuerySet(CenterScopedQuerySet):
    center_lookup = ""  # a center is its own center

    def for_user(self, user) -> CenterQuerySet:
        """Centers the user works in; every center for super admins."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_super_admin:
            return self.all()
        # Only direct object grants count (never model-level ones, which would open every
        # center): one join on the membership table, usable as a subquery in tenant queries.
        return self.filter(memberships__user=user, memberships__permission__codename=MEMBERSHIP_PERM).distinct()


class AssignmentMode(models.TextChoices):
    """Who gets a new lead when its door names nobody (leads/assignment.py applies it)."""

    #: Today's behaviour, kept for existing centers: staff keep what they type in, and what comes in
    #: by itself (the public form, webhooks without an assignee) goes round-robin.
    RECORDER = "RECORDER", "Whoever records it; website and webhook enquiries round-robin"
    ROUND_ROBIN = "ROUND_ROBIN", "Round-robin among active counselors, on every door"
    BY_SOURCE = "BY_SOURCE", "By source (the table below), else round-robin"
    BY_PROGRAM = "BY_PROGRAM", "By program (the table below), else round-robin"


class Center(models.Model):
    name = models.CharField(max_length=120)
    code = models.CharField(
        max_length=8,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2,8}$", "Use 2-8 capital letters, e.g. TLGC.")],
        help_text="Prefix of the center's enquiry IDs, e.g. TLGC gives TLGC0001.",
    )
    city = models.CharField(max_length=80, blank=True)
    address = models.TextField(
        blank=True, help_text="Where families come for the trial class: shown on the online booking and its messages."
    )
    timezone = models.CharField(max_length=64, default="Asia/Kolkata", validators=[validate_timezone])
    follow_up_interval_days = models.PositiveSmallIntegerField(
        "Follow-up interval (days)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text="When a follow-up is postponed without a date, the next call is this many days later.",
    )
    # Retention (issue 10), applied by `manage.py apply_retention` (leads/retention.py says how each counts).
    closed_lost_retention_months = models.PositiveSmallIntegerField(
        "Closed-lost families kept (months)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="A family whose leads are all closed (lost) is erased this long after the last closing.",
    )
    converted_retention_months = models.PositiveSmallIntegerField(
        "Converted families kept (months)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="A converted family with no open lead is erased this long after its last conversion, "
        "enrollment start or closing.",
    )
    access_log_retention_months = models.PositiveSmallIntegerField(
        "Access log kept (months)",
        default=13,
        validators=[MinValueValidator(ACCESS_LOG_MIN_MONTHS), MaxValueValidator(600)],
        help_text="At least 12: the DPDP Rules keep access logs for a year. Older rows are deleted.",
    )
    require_two_factor = models.BooleanField(
        "Two-factor sign-in for admin",
        default=False,
        help_text="Its center admins confirm a code from an authenticator app before using Django admin.",
    )
    assignment_mode = models.CharField(
        "Automatic assignment",
        max_length=16,
        choices=AssignmentMode,
        default=AssignmentMode.RECORDER,
        help_text="Who gets a new lead when nobody is chosen for it. Counselors marked away, and "
        "deactivated people, get nothing.",
    )
    embed_origins = models.TextField(
        "Websites that may embed the enquiry form",
        blank=True,
        validators=[validate_embed_origins],
        help_text="One origin per line, e.g. https://www.example.com. Only these sites may show "
        "/enquire/<code>/embed/ in an iframe; none listed: no site may.",
    )

    objects = CenterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [(MEMBERSHIP_PERM, "Works in this center")]
        constraints = [
            models.CheckConstraint(
                condition=Q(access_log_retention_months__gte=ACCESS_LOG_MIN_MONTHS),
                name="center_access_log_kept_a_year",
            ),
            models.CheckConstraint(
                condition=Q(assignment_mode__in=AssignmentMode.values), name="center_assignment_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def embed_origin_list(self) -> list[str]:
        """The allowed origins, valid ones only (a row saved around the validator never reaches the header)."""
        lines = embed_origin_lines(self.embed_origins)
        return [line for line in lines if _ORIGIN.match(line.lower()) and not _bad_port(line)]

    @property
    def visit_address(self) -> str:
        """Where the trial class is: the address, else the city."""
        return self.address.strip() or self.city


class Role(models.TextChoices):
    SUPER_ADMIN = "SUPER_ADMIN", "Super admin"
    CENTER_ADMIN = "CENTER_ADMIN", "Center admin"
    COUNSELOR = "COUNSELOR", "Counselor"
    TRAINER = "TRAINER", "Trainer"


class Action(models.TextChoices):
    """What a role may do; checked by the access helpers and by the model methods themselves."""

    VIEW_LEADS = "view_leads", "View leads"
    CREATE_ENQUIRY = "create_enquiry", "Create enquiries"
    MANAGE_LEAD = "manage_lead", "Edit leads, discovery, notes, assignee"
    SCHEDULE_VISIT = "schedule_visit", "Schedule intro visits"
    RECORD_OUTCOME = "record_outcome", "Record intro-visit attendance and outcome"
    MANAGE_FOLLOW_UP = "manage_follow_up", "Manage follow-ups"
    CONVERT = "convert", "Convert leads"
    CLOSE = "close", "Close leads"
    REOPEN = "reopen", "Reopen closed leads"
    MANAGE_CENTER = "manage_center", "Manage batches and staff"


_COUNSELOR = {
    Action.VIEW_LEADS,
    Action.CREATE_ENQUIRY,
    Action.MANAGE_LEAD,
    Action.SCHEDULE_VISIT,
    Action.MANAGE_FOLLOW_UP,
    Action.CONVERT,
    Action.CLOSE,
}
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.SUPER_ADMIN: frozenset(Action),
    Role.CENTER_ADMIN: frozenset(Action),
    Role.COUNSELOR: frozenset(_COUNSELOR),
    Role.TRAINER: frozenset({Action.RECORD_OUTCOME}),
}


#: The roles a membership can carry (a super admin is one franchise-wide, not per center).
CENTER_ROLES = [Role.CENTER_ADMIN, Role.COUNSELOR, Role.TRAINER]


def _membership_role_is(roles) -> Q:
    """Memberships whose role is one of `roles` (an empty role means the user's default role)."""
    return Q(role__in=roles) | Q(role="", user__role__in=roles)


#: The centers' system users (unusable password), which record what comes in by itself: the public
#: form's enquiries (leads/public.py: `web-<code>`) and the webhooks' (`intake-<code>`). Members of their
#: center for the verbs' checks, but nobody's colleague.
WEBSITE_USERS = (Q(username__startswith="web-") | Q(username__startswith="intake-")) & Q(password__startswith="!")


class UserQuerySet(models.QuerySet):
    def in_centers(self, centers, *, roles=None) -> UserQuerySet:
        """Active people who work in any of `centers` (Center queryset, list, or one Center), with one
        of `roles` there when given (roles belong to the membership: issue 10). Website users are left
        out: they are never an assignee, a trainer, a digest's reader or a row of a staff list."""
        if isinstance(centers, Center):
            centers = [centers]
        memberships = CenterMembership.objects.filter(permission__codename=MEMBERSHIP_PERM, content_object__in=centers)
        if roles is not None:
            memberships = memberships.filter(_membership_role_is(list(roles)))
        return self.filter(is_active=True, pk__in=memberships.values("user_id")).exclude(WEBSITE_USERS)

    def with_role_in(self, center) -> UserQuerySet:
        """Annotate `center_role`: each user's role in `center` (one subquery, no extra query)."""
        from django.db.models import F, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce, NullIf

        role = CenterMembership.objects.filter(
            permission__codename=MEMBERSHIP_PERM, content_object=center, user=OuterRef("pk")
        ).values("role")[:1]
        return self.annotate(center_role=Coalesce(NullIf(Subquery(role), Value("")), F("role")))


class CRMUserManager(UserManager.from_queryset(UserQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes a super admin: the role is what grants admin access.
        extra_fields.setdefault("role", Role.SUPER_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role, default=Role.COUNSELOR)
    phone = models.CharField(max_length=20, blank=True)
    #: Raised by `sign_out_everywhere`: a session signed in under an older value ends on its next
    #: request (accounts/sessions.py). Read with the user row each request loads anyway: no query.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = CRMUserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def name_with_center(self) -> str:
        """ "Priya Sharma (TLGC)" once `mark_centers` ran (screens showing staff of several centers)."""
        label = self.__dict__.get("center_label")
        return f"{self} ({label})" if label else str(self)

    @property
    def short_name_with_center(self) -> str:
        label = self.__dict__.get("center_label")
        short = self.get_short_name() or str(self)
        return f"{short} ({label})" if label else short

    def save(self, *args, **kwargs):
        # Admin access follows the roles: center admins (of any center) and super admins use Django admin.
        self.is_staff = self.role in (Role.SUPER_ADMIN, Role.CENTER_ADMIN) or (
            self.pk is not None
            and CenterMembership.objects.filter(
                user_id=self.pk, permission__codename=MEMBERSHIP_PERM, role=Role.CENTER_ADMIN
            ).exists()
        )
        self.is_superuser = self.role == Role.SUPER_ADMIN
        super().save(*args, **kwargs)

    @property
    def is_super_admin(self) -> bool:
        return self.role == Role.SUPER_ADMIN

    # -- roles per center (issue 10): a role belongs to the membership, not to the user ------------

    def center_roles(self) -> dict[int, str]:
        """{center id: this user's role there}, read once per request (one query) and cached."""
        cache = self.__dict__.get("_center_roles")
        if cache is None:
            rows = list(
                CenterMembership.objects.filter(user_id=self.pk, permission__codename=MEMBERSHIP_PERM).values_list(
                    "content_object_id", "role", "content_object__require_two_factor"
                )
            )
            cache = {center_id: role or self.role for center_id, role, _ in rows}
            self.__dict__["_center_roles"] = cache
            self.__dict__["_two_factor_centers"] = {center_id for center_id, _, asks in rows if asks}
        return cache

    def two_factor_centers(self) -> set[int]:
        """Ids of this user's centers that ask their admins for a second factor (read with the roles)."""
        if "_two_factor_centers" not in self.__dict__:
            self.__dict__.pop("_center_roles", None)
            self.center_roles()
        return self.__dict__["_two_factor_centers"]

    def forget_centers(self) -> None:
        self.__dict__.pop("_center_roles", None)
        self.__dict__.pop("_two_factor_centers", None)

    @property
    def roles(self) -> set[str]:
        """Every role this user has somewhere (a user in no center yet: their default role)."""
        if self.is_super_admin:
            return {Role.SUPER_ADMIN}
        return set(self.center_roles().values()) or {self.role}

    def role_in(self, center: Center | int) -> str | None:
        """This user's role in `center` (SUPER_ADMIN everywhere for super admins), None if not a member."""
        if self.is_super_admin:
            return Role.SUPER_ADMIN
        return self.center_roles().get(center if isinstance(center, int) else center.pk)

    @property
    def is_center_admin(self) -> bool:
        """A center admin of at least one center (admin access; what they may do there: `administers`)."""
        return Role.CENTER_ADMIN in self.roles

    @property
    def is_trainer_only(self) -> bool:
        """Trainer in every center they work in: the trainer's screens are theirs."""
        return self.roles == {Role.TRAINER}

    def centers_as(self, role: str) -> list[int]:
        """Ids of the centers where this user has `role`."""
        return [center_id for center_id, r in self.center_roles().items() if r == role]

    def may(self, action: str, center: Center | int | None = None) -> bool:
        """Whether this user's role in `center` allows `action` (an `Action`); without a center,
        whether a role of theirs somewhere does (to show a menu entry; the verb asks per center)."""
        if not self.is_active:
            return False
        if center is not None:
            return action in ROLE_ACTIONS.get(self.role_in(center) or "", frozenset())
        return any(action in ROLE_ACTIONS.get(role, frozenset()) for role in self.roles)

    def centers(self):
        return Center.objects.for_user(self)

    def works_in(self, center: Center | int) -> bool:
        return self.role_in(center) is not None

    def administers(self, center: Center | int) -> bool:
        """Whether this user may manage staff in `center`: a super admin, or its center admin."""
        if not self.is_active:
            return False
        return self.role_in(center) in (Role.SUPER_ADMIN, Role.CENTER_ADMIN)

    def may_manage(self, other: User) -> bool:
        """Whether this user may edit `other`'s person, password, role and activity (issue 10).

        Only a super admin, or a center admin who administers every center `other` works in: a
        staff member shared with another center is that center's too, so no single center admin
        may take the account over.
        """
        if not self.is_active:
            return False
        if self.is_super_admin:
            return True
        if not self.is_center_admin or other.is_super_admin:
            return False
        if other.pk is None:
            return True  # a new account: its centers are chosen among the admin's own
        theirs = (
            set(other.centers().values_list("pk", flat=True))
            if other.is_active
            else set(
                CenterMembership.objects.filter(permission__codename=MEMBERSHIP_PERM, user=other).values_list(
                    "content_object_id", flat=True
                )
            )
        )
        if not theirs:
            return other.pk == self.pk
        return all(self.administers(center_id) for center_id in theirs)

    def sign_out_everywhere(self, *, by: User, request=None) -> None:
        """End every session of this user, on every device, at their next request, and revoke their API
        tokens (issue 10: "log out everywhere"). Only someone who `may_manage` this user may; it is
        written to the access log (one row, and one per token revoked)."""
        from django.apps import apps

        if not by.may_manage(self):
            raise PermissionDenied(f"{self} also works in a center you do not administer.")
        with transaction.atomic():
            User.objects.filter(pk=self.pk).update(session_epoch=F("session_epoch") + 1)
            AccessLog.record(
                request,
                user=by,
                action=AccessAction.STAFF,
                object_type="user",
                object_id=self.pk,
                center_id=home_center_id(self),
                detail="signed out everywhere",
            )
            for token in apps.get_model("api", "ApiToken").objects.filter(user=self, revoked_at__isnull=True):
                token.revoke(by=by, request=request)
        self.refresh_from_db(fields=["session_epoch"])

    def may_manage_memberships_of(self, other: User, center: Center | int) -> bool:
        """Whether this user may add `other` to, or remove them from, `center`."""
        return self.administers(center) and (self.is_super_admin or not other.is_super_admin)

    def add_to_center(self, center: Center, role: str | None = None) -> None:
        """Make this user a member of `center` with `role` there (default: their default role)."""
        from guardian.shortcuts import assign_perm

        assign_perm(f"accounts.{MEMBERSHIP_PERM}", self, center)
        self.set_role_in(center, role or (self.role if self.role in CENTER_ROLES else Role.CENTER_ADMIN))

    def set_role_in(self, center: Center | int, role: str) -> None:
        """The role of this user's membership of `center` (who may is the door's check: `may_set_role`)."""
        if role not in CENTER_ROLES:
            raise ValidationError({"role": [f"Choose one of: {', '.join(CENTER_ROLES)}."]})
        center_id = center if isinstance(center, int) else center.pk
        CenterMembership.objects.filter(
            user_id=self.pk, content_object_id=center_id, permission__codename=MEMBERSHIP_PERM
        ).update(role=role)
        self.forget_centers()
        staff = self.role in (Role.SUPER_ADMIN, Role.CENTER_ADMIN) or Role.CENTER_ADMIN in self.roles
        if staff != self.is_staff:
            self.is_staff = staff
            User.objects.filter(pk=self.pk).update(is_staff=staff)

    def may_set_role(self, other: User, center: Center | int, role: str) -> bool:
        """Whether this user may give `other` `role` in `center`: an admin of that center; making
        someone a center admin needs an admin of every center `other` works in (no takeover)."""
        if not self.may_manage_memberships_of(other, center):
            return False
        return role != Role.CENTER_ADMIN or self.may_manage(other)

    def remove_from_center(self, center: Center) -> None:
        from guardian.shortcuts import remove_perm

        remove_perm(f"accounts.{MEMBERSHIP_PERM}", self, center)
        self.forget_centers()


class CenterMembership(UserObjectPermissionBase):
    """Guardian's direct-foreign-key table for permissions on centers.

    Guardian finds it by itself (assign_perm, get_objects_for_user); a real foreign key instead
    of guardian's generic varchar `object_pk` keeps membership joins indexable and lets the
    membership go away with the center.
    """

    content_object = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="memberships")
    #: The user's role in this center (issue 10: the same person may counsel in one center and train
    #: in another). Empty only on rows written by guardian itself: read as the user's default role.
    role = models.CharField(max_length=16, choices=[(r, Role(r).label) for r in CENTER_ROLES], blank=True, default="")
    #: Automatic assignment skips this person here through this date (the center's date); empty: available.
    away_until = models.DateField(
        "Away until",
        null=True,
        blank=True,
        help_text="Gets no new leads automatically through this date (leave, training). Empty: available.",
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "center membership"

    def __str__(self) -> str:
        # The person (the admin's staff table titles each row with it); guardian's names the permission.
        return str(self.user)


def counts_only_own(user) -> bool:
    """A counselor who administers no center sees only their own figures (dashboard, reports)."""
    return Role.COUNSELOR in user.roles and not (user.is_super_admin or user.is_center_admin)


def home_center_id(user) -> int | None:
    """One center of `user` (the lowest id), for access-log rows about the person (a password, a
    token) so that their center's admins see them; None for someone in no center. One query."""
    if user is None or user.pk is None:
        return None
    return (
        CenterMembership.objects.filter(user_id=user.pk, permission__codename=MEMBERSHIP_PERM)
        .order_by("content_object_id")
        .values_list("content_object_id", flat=True)
        .first()
    )


def mark_centers(users) -> list:
    """Give each of `users` its centers' codes (`center_label`, "TLGC" or "TLGB, TLGC"), so names
    read "Priya (TLGC)" where staff of several centers appear together: one query for all of them."""
    users = [user for user in users if user is not None]
    if not users:
        return users
    codes: dict[int, list[str]] = {}
    rows = (
        CenterMembership.objects.filter(permission__codename=MEMBERSHIP_PERM, user_id__in={u.pk for u in users})
        .values_list("user_id", "content_object__code")
        .order_by("content_object__code")
    )
    for user_id, code in rows:
        codes.setdefault(user_id, []).append(code)
    for user in users:
        user.__dict__["center_label"] = ", ".join(codes.get(user.pk, []))
    return users


class AccessAction(models.TextChoices):
    """What an access-log row records."""

    VIEW = "VIEW", "Viewed"
    EXPORT = "EXPORT", "Exported"
    CHANGE = "CHANGE", "Changed"
    ERASE = "ERASE", "Erased"
    CONSENT = "CONSENT", "Consent"
    STAFF = "STAFF", "Staff role or membership"
    PASSWORD = "PASSWORD", "Password"
    TOKEN = "TOKEN", "API token"
    SIGN_IN = "SIGN_IN", "Sign-in"


#: The access log keeps every row at least this long (DPDP Rules 2025, rule 8: one year); the
#: database triggers of migration 0004 hold the same floor.
ACCESS_LOG_MINIMUM_DAYS = 365


class AccessLogQuerySet(models.QuerySet):
    """Rows are appended, never changed: `update` and `delete` refuse; `prune_older_than` is the
    retention command's one way to remove rows, and only those past the one-year floor."""

    def update(self, **kwargs):
        raise TypeError("The access log is append-only.")

    def delete(self):
        raise TypeError("The access log is append-only: prune old rows with prune_older_than(cutoff).")

    def prune_older_than(self, cutoff: datetime.datetime) -> int:
        """Delete the rows (of this queryset) from before `cutoff`; returns how many."""
        floor = timezone.now() - datetime.timedelta(days=ACCESS_LOG_MINIMUM_DAYS)
        if cutoff > floor:
            raise ValueError(f"The access log keeps every row at least {ACCESS_LOG_MINIMUM_DAYS} days.")
        deleted, _ = models.QuerySet.delete(self.filter(at__lt=cutoff))
        return deleted


class AccessLog(models.Model):
    """Who looked at, exported, changed or erased what, and from where: one row per action.

    Rows are only ever inserted (`AccessLog.record`); the database refuses UPDATE and DELETE
    (a trigger), except the retention command's pruning of rows older than the center's period.
    `family_id` is a plain number, not a foreign key: the log outlives what it names, and it is
    what the admin filters "everything about this family" by. `detail` never holds personal data
    (no names, phones or free text): it says what was done ("leads.csv, 120 rows").
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    center = models.ForeignKey(Center, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=8, choices=AccessAction)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    family_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=200, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["center", "-at"], name="accesslog_center_at")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AccessAction.values), name="accesslog_action_valid")
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The access log is append-only: prune old rows with prune_older_than(cutoff).")

    @classmethod
    def record(
        cls,
        request=None,
        *,
        action: str,
        object_type: str,
        object_id: object = "",
        user=None,
        center_id: int | None = None,
        family_id: int | None = None,
        detail: str = "",
    ) -> AccessLog:
        """Append one row: exactly one INSERT, no reads (ids are passed, not looked up).

        `request` gives the acting user and the client address; `user` overrides it (a management
        command, a task). Call it inside the action's transaction so a refused action logs nothing.
        """
        from accounts.net import client_address

        if user is None and request is not None:
            user = getattr(request, "auth", None) or getattr(request, "user", None)  # the API's, else the page's
        user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
        return cls.objects.create(
            user_id=user_id,
            center_id=center_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else "",
            family_id=family_id,
            address=client_address(request) if request is not None else None,
            # No control characters (a NUL from a query string cannot be stored by PostgreSQL).
            detail="".join(ch for ch in detail if ch.isprintable())[:200],
        )
