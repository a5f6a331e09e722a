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

import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils.crypto import salted_hmac

from accounts.models import Center, Role, User

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
