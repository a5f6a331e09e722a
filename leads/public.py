"""The public enquiry form's door (issue 11): who records a web enquiry, whom it goes to, and the
abuse checks in front of it. The rules stay in `Lead.create_enquiry`; this module only supplies
its actor and decides whether a submission reaches it at all.

- The actor: `website_user(center)`, one user per center (`web-<code>`), a COUNSELOR member of that
  center with an unusable password (nobody signs in as it). Web enquiries, their history rows,
  consent rows and "enquired again online" notes name it, so every timeline says "Website form".
  It is left out of every staff list (`User.objects.in_centers`); a super admin who deactivates it
  in admin closes the center's public form.
- The assignee: nobody is named, so `create_enquiry` applies the center's automatic assignment
  (leads/assignment.py: round-robin, by source or by program); never the website user.
- Abuse: a signed render time (too fast or too old is refused), per-address and per-phone
  counters in the cache (shared by every app node once CACHE_URL points at Redis).
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import Center, Role, User
from leads.lifecycle import TRANSITIONS, Move
from leads.models import Batch, IntroVisit, Lead
from leads.models.enrollment import Session, sessions_of
from leads.models.family import primary_parent_of

_FORM_SALT = "leads.public.enquiry-form"


def website_user(center: Center) -> User:
    """The user that records `center`'s web enquiries (created on first use)."""
    username = f"web-{center.code.lower()}"
    user = User.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User(username=username, first_name="Website", last_name="form", role=Role.COUNSELOR)
                user.set_unusable_password()
                user.save()
                user.add_to_center(center, Role.COUNSELOR)
        except IntegrityError:  # another request created it first
            user = User.objects.get(username=username)
    return user


# -- the signed render time -------------------------------------------------------------------


def form_token(center: Center, now: float | None = None) -> str:
    """Signed (center, time the form was rendered): a bot posting at once, or replaying an old
    page for days, is refused; the parent never sees it."""
    return signing.dumps({"c": center.code, "t": now if now is not None else time.time()}, salt=_FORM_SALT)


def token_problem(token: str, center: Center, now: float | None = None) -> str | None:
    """'fast', 'old' or 'bad' when the token does not let the submission through; None when it does."""
    try:
        data = signing.loads(token or "", salt=_FORM_SALT)
    except signing.BadSignature:
        return "bad"
    if not isinstance(data, dict) or data.get("c") != center.code or not isinstance(data.get("t"), int | float):
        return "bad"
    age = (now if now is not None else time.time()) - data["t"]
    if age < settings.PUBLIC_ENQUIRY_MIN_SECONDS:
        return "fast"
    if age > settings.PUBLIC_ENQUIRY_MAX_AGE:
        return "old"
    return None


# -- rate limits ------------------------------------------------------------------------------


def _key(kind: str, value: str) -> str:
    # Hashed: the cache (perhaps a shared Redis) never holds a parent's phone or address in clear.
    return f"public-enquiry:{kind}:{salted_hmac('leads.public.rate', value, algorithm='sha256').hexdigest()[:32]}"


def over_limit(*, address: str | None, phone: str) -> str | None:
    """'address' or 'phone' when that counter has reached its limit; None when both have room."""
    if cache.get(_key("address", address or "unknown"), 0) >= settings.PUBLIC_ENQUIRY_PER_ADDRESS:
        return "address"
    if cache.get(_key("phone", phone), 0) >= settings.PUBLIC_ENQUIRY_PER_PHONE:
        return "phone"
    return None


def count_submission(*, address: str | None, phone: str) -> None:
    """One more accepted submission from this address and for this phone (atomic on Redis and locmem)."""
    for kind, value, window in (
        ("address", address or "unknown", settings.PUBLIC_ENQUIRY_ADDRESS_WINDOW),
        ("phone", phone, settings.PUBLIC_ENQUIRY_PHONE_WINDOW),
    ):
        key = _key(kind, value)
        if not cache.add(key, 1, window):  # the window starts with the first submission
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, window)


# -- online trial booking: the parent's link, the sessions offered, the confirmation ----------------

_BOOKING_SALT = "leads.public.booking-link"
#: How long a parent's booking link works. Sessions are offered up to six weeks ahead and every
#: confirmation carries a freshly signed link, so the link in the latest message outlives the visit.
BOOKING_LINK_MAX_AGE = 60 * 24 * 3600
#: A session starting sooner than this is not offered online (nobody could get there in time).
BOOKING_MIN_NOTICE = datetime.timedelta(hours=2)
#: How many sessions the booking step lists, all fitting batches together.
SESSIONS_LISTED = 8


def booking_token(lead: Lead) -> str:
    """The parent's signed link to their lead's booking: unguessable, tamper-proof, expiring."""
    return signing.dumps({"l": lead.pk, "c": lead.center.code}, salt=_BOOKING_SALT)


def lead_for_token(token: str, center: Center) -> Lead | None:
    """The lead the link names, if the signature holds, it is not too old and it is `center`'s."""
    if not token or len(token) > 200:
        return None
    try:
        data = signing.loads(token, salt=_BOOKING_SALT, max_age=BOOKING_LINK_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or data.get("c") != center.code or not isinstance(data.get("l"), int):
        return None
    return Lead.objects.filter(pk=data["l"], center=center).select_related("child", "program", "center").first()


def may_book(lead: Lead) -> bool:
    """Whether the lifecycle lets this lead take a trial class now (the verb decides in the end)."""
    return lead.status in TRANSITIONS[Move.SCHEDULE_INTRO_VISIT]


def current_visit(lead: Lead) -> IntroVisit | None:
    """The lead's latest visit (what the manage link shows), cancelled or not."""
    return lead.intro_visits.select_related("batch").order_by("-created_at", "-pk").first()


def _fits(lead: Lead, session: Session) -> bool:
    child = lead.child
    if child.dob is None:
        return True
    years, months = child.age_on(timezone.localtime(session.starts_at, lead.center.tzinfo).date())
    return session.batch.min_age_months <= years * 12 + months <= session.batch.max_age_months


def fitting_sessions(lead: Lead, *, now: datetime.datetime | None = None) -> list[Session]:
    """The coming sessions of the center's active batches that fit the child's age on the day (the
    batch's age band) and the program asked for (any batch when none), full ones included, by time."""
    now = now or timezone.now()
    batches = Batch.objects.filter(center=lead.center, is_active=True).select_related("center")
    if lead.program_id:
        batches = batches.filter(program_id=lead.program_id)
    sessions = [s for per_batch in sessions_of(batches, now=now + BOOKING_MIN_NOTICE).values() for s in per_batch]
    return sorted((s for s in sessions if _fits(lead, s)), key=lambda s: (s.starts_at, s.batch.name))


def offered_sessions(lead: Lead, *, now: datetime.datetime | None = None, exclude=None) -> list[Session]:
    """What the parent may pick: the fitting sessions with a free seat, the soonest first."""
    free = [s for s in fitting_sessions(lead, now=now) if s.free]
    if exclude is not None:
        free = [s for s in free if (s.batch.pk, s.starts_at) != (exclude.batch_id, exclude.scheduled_at)]
    return free[:SESSIONS_LISTED]


def send_visit_message(visit: IntroVisit, *, key: str, title: str, body: str) -> None:
    """Email and SMS to the child's primary parent through the reminders' one delivery path; `key`
    is unique per message (a reload or a double submit never sends twice). A booking confirmation
    is the service the parent has just asked for, so it does not wait for the reminders consent."""
    from insights.models import NotificationKind
    from insights.reminders import Message, Report, deliver_to_parent

    parent = primary_parent_of(visit.lead.child_id)
    if parent is None:
        return
    message = Message(
        kind=NotificationKind.VISIT_REMINDER, key=key, title=title, body=body, object_id=visit.pk, lead_id=visit.lead_id
    )
    deliver_to_parent(message, phone=parent.phone, email=parent.email, report=Report())
