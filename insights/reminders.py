"""The reminders `send_reminders` sends, and the one delivery path every notification takes.

Each (reminder key, channel) has one ReminderLog row, claimed before anything is sent (the unique
constraint lets exactly one run win) and then marked by what really happened:

- SENT: a real backend accepted it (the mail server, the SMS provider, the bell's own table);
- LOGGED: a log-only backend wrote it down (console mailer, `LogSMSBackend`): nothing left;
- FAILED: not accepted (refused, unreachable, no answer within SMTP_TIMEOUT / SMS_TIMEOUT); a
  later run tries again, up to ReminderLog.MAX_ATTEMPTS, with the same idempotency key;
- SENDING: being sent now. A row left SENDING longer than REMINDER_SENDING_TIMEOUT belongs to a run
  that died; the next run marks it FAILED, so it is retried like any failure.

Once a backend has accepted a message, nothing can turn it into FAILED: an error while recording
the acceptance is retried, never read as "not sent". A failing channel never blocks another: an
SMS provider outage keeps the email and the bell.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import Center, Role, User
from insights import mailer, sms
from insights.contacts import at_time, message_for, primary_parent, when
from insights.models import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationKind,
    ReminderLog,
    TemplateKind,
)
from leads.lifecycle import day_start
from leads.models import Consent, FollowUp, IntroVisit, Lead, Purpose

logger = logging.getLogger("insights.reminders")

#: Assignments and overdue follow-ups older than this are not announced (the digest still lists
#: every overdue one): the first run on an existing database must not flood everyone.
ASSIGNMENT_LOOKBACK = datetime.timedelta(days=3)
OVERDUE_LOOKBACK_DAYS = 30


def digest_hour() -> int:
    return settings.REMINDER_DIGEST_HOUR


def escalation_days() -> int:
    return settings.OVERDUE_ESCALATION_DAYS


def parent_reminders_enabled() -> bool:
    return settings.PARENT_VISIT_REMINDERS


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url


@dataclass
class Message:
    kind: str
    key: str
    title: str
    body: str
    url: str = ""
    object_id: int | None = None
    lead_id: int | None = None


@dataclass
class Report:
    sent: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    logged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    interrupted: int = 0
    #: Parent messages not sent: the parent's consent does not cover reminders (or was withdrawn).
    no_consent: int = 0

    def __str__(self) -> str:
        parts = [f"{channel} sent {n}" for channel, n in sorted(self.sent.items())]
        parts += [f"{channel} logged only {n}" for channel, n in sorted(self.logged.items())]
        parts += [f"{channel} failed {n}" for channel, n in sorted(self.failed.items())]
        if self.interrupted:
            parts.append(f"{self.interrupted} left sending by an earlier run, to retry")
        if self.no_consent:
            parts.append(f"{self.no_consent} parent reminder{'s' if self.no_consent != 1 else ''} skipped: no consent")
        return ", ".join(parts) or "nothing to send"


def release_stale(report: Report) -> None:
    """Rows SENDING for longer than a send can take belong to a run that died: make them retryable."""
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.REMINDER_SENDING_TIMEOUT)
    report.interrupted += ReminderLog.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
        status=DeliveryStatus.FAILED,
        error=f"Still sending after {settings.REMINDER_SENDING_TIMEOUT} s: the run sending it stopped.",
    )


def _claim(message: Message, channel: str, *, recipient: User | None, address: str) -> ReminderLog | None:
    """Insert the log row (we send) or take back a failed one (we retry); None when done or taken."""
    try:
        with transaction.atomic():
            return ReminderLog.objects.create(
                key=message.key,
                kind=message.kind,
                channel=channel,
                object_id=message.object_id,
                recipient=recipient,
                address=address,
                claimed_at=timezone.now(),
            )
    except IntegrityError:
        retried = ReminderLog.objects.filter(
            key=message.key, channel=channel, status=DeliveryStatus.FAILED, attempts__lt=ReminderLog.MAX_ATTEMPTS
        ).update(status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, address=address, claimed_at=timezone.now())
        return ReminderLog.objects.get(key=message.key, channel=channel) if retried else None


def _record(log: ReminderLog, **fields) -> None:
    """Write the outcome of a send. Retried on a database error: after an acceptance, failing here
    would leave the row SENDING, then FAILED, then sent again."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                ReminderLog.objects.filter(pk=log.pk).update(**fields)
            return
        except DatabaseError:
            if attempt == 2:
                raise
            logger.warning("Recording reminder %s by %s failed; trying again", log.key, log.channel, exc_info=True)
            if not connection.in_atomic_block:
                connection.close()  # the next query opens a fresh connection
            time.sleep(0.2 * (attempt + 1))


def _send(log: ReminderLog, report: Report, send: Callable[[str], bool]) -> None:
    """`send(idempotency_key)` returns once the backend accepted: True if it left the machine."""
    try:
        delivered = send(log.idempotency_key)
    except Exception as error:  # any provider failure: record it, keep the other channels going
        # A provider's error may quote the number: masked in the log (the reminder log keeps it whole).
        logger.warning("Reminder %s by %s failed: %s", log.key, log.channel, sms.without_numbers(str(error)))
        _record(log, status=DeliveryStatus.FAILED, error=str(error)[:2000] or type(error).__name__)
        report.failed[log.channel] += 1
        return
    status = DeliveryStatus.SENT if delivered else DeliveryStatus.LOGGED
    _record(log, status=status, sent_at=timezone.now(), error="")
    (report.sent if delivered else report.logged)[log.channel] += 1


def _notify_in_app(log: ReminderLog, report: Report, user: User, message: Message) -> None:
    """The bell is our own table: the notification and its SENT mark commit together or not at all."""
    try:
        with transaction.atomic():
            Notification.objects.create(
                recipient=user,
                kind=message.kind,
                title=message.title,
                body=message.body,
                url=message.url,
                lead_id=message.lead_id,
            )
            ReminderLog.objects.filter(pk=log.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now(), error="")
    except Exception as error:
        logger.warning("Reminder %s in the app failed: %s", log.key, error)
        _record(log, status=DeliveryStatus.FAILED, error=str(error)[:2000] or type(error).__name__)
        report.failed[log.channel] += 1
        return
    report.sent[log.channel] += 1


def deliver(user: User, message: Message, report: Report) -> None:
    """The bell, then email and SMS where the user has an address: each channel at most once."""
    message = Message(**{**message.__dict__, "key": f"{message.key}:u{user.pk}"})
    log = _claim(message, Channel.IN_APP, recipient=user, address="")
    if log is not None:
        _notify_in_app(log, report, user, message)
    text = f"{message.body}\n\n{_absolute(message.url)}" if message.url else message.body
    if user.email:
        log = _claim(message, Channel.EMAIL, recipient=user, address=user.email)
        if log is not None:
            _send(log, report, lambda key: mailer.send_email(user.email, message.title, text, idempotency_key=key))
    if user.phone:
        log = _claim(message, Channel.SMS, recipient=user, address=user.phone)
        if log is not None:
            body = f"{message.title}: {message.body}"[:480]
            _send(log, report, lambda key: sms.send_sms(user.phone, body, idempotency_key=key))


def deliver_to_parent(message: Message, *, phone: str, email: str, report: Report) -> None:
    if phone:
        log = _claim(message, Channel.SMS, recipient=None, address=phone)
        if log is not None:
            _send(log, report, lambda key: sms.send_sms(phone, message.body, idempotency_key=key))
    if email:
        log = _claim(message, Channel.EMAIL, recipient=None, address=email)
        if log is not None:
            _send(log, report, lambda key: mailer.send_email(email, message.title, message.body, idempotency_key=key))


# -- the reminders -----------------------------------------------------------------------------


def send_reminders(now: datetime.datetime | None = None) -> Report:
    """Everything due at `now` (default: the real time; the stale-row timeout always uses the real time)."""
    now = now or timezone.now()
    report = Report()
    release_stale(report)
    for center in Center.objects.all():
        local = now.astimezone(center.tzinfo)
        today = local.date()
        if local.hour >= digest_hour():
            send_digests(center, today, report)
            if parent_reminders_enabled():
                send_parent_visit_reminders(center, today, report)
        send_overdue_alerts(center, today, report)
        send_assignment_notifications(center, now, report)
    return report


def _staff(center: Center):
    return User.objects.in_centers(center, roles=[Role.COUNSELOR, Role.CENTER_ADMIN])


def send_digests(center: Center, today: datetime.date, report: Report) -> None:
    """Each counselor's day at the digest hour of the center's time zone: due, overdue, visits."""
    due = defaultdict(list)
    overdue = defaultdict(list)
    tz = center.tzinfo
    start = day_start(today, tz)
    for follow_up in (
        FollowUp.objects.filter(lead__center=center)
        .due_before(day_start(today + datetime.timedelta(days=1), tz))
        .select_related("lead__child")
        .order_by("scheduled_date", "pk")
    ):
        (due if follow_up.scheduled_date >= start else overdue)[follow_up.assigned_to_id].append(follow_up)
    visits = defaultdict(list)
    for visit in (
        IntroVisit.objects.filter(lead__center=center, cancelled_at__isnull=True)
        .on_day(today, center.tzinfo)
        .select_related("lead__child", "batch")
    ):
        visits[visit.lead.assigned_to_id].append(visit)
    for user in _staff(center):
        mine_due, mine_overdue, mine_visits = due[user.pk], overdue[user.pk], visits[user.pk]
        if not (mine_due or mine_overdue or mine_visits):
            continue
        lines = [f"Your day at {center.name}, {today:%a %d %b}:"]
        if mine_visits:
            lines.append(f"\nIntro visits today ({len(mine_visits)}):")
            lines += _capped(
                [f"- {when(v.scheduled_at, center.tzinfo)} · {v.lead} · {v.batch.name}" for v in mine_visits]
            )
        if mine_due:
            lines.append(f"\nFollow-ups due today ({len(mine_due)}):")
            lines += _capped([f"- {at_time(f.scheduled_date, tz)} · {f.lead}" for f in mine_due])
        if mine_overdue:
            lines.append(f"\nOverdue follow-ups ({len(mine_overdue)}):")
            lines += _capped([f"- {f.lead} (due {when(f.scheduled_date, tz)})" for f in mine_overdue])
        title = (
            f"Today: {len(mine_due)} follow-up{'s' if len(mine_due) != 1 else ''}, "
            f"{len(mine_visits)} visit{'s' if len(mine_visits) != 1 else ''}, {len(mine_overdue)} overdue"
        )
        message = Message(
            kind=NotificationKind.DIGEST,
            key=f"digest:c{center.pk}:{today.isoformat()}",
            title=title,
            body="\n".join(lines),
            url="/insights/calendar/",
        )
        deliver(user, message, report)


DIGEST_LIST_LIMIT = 25


def _capped(lines: list[str]) -> list[str]:
    """A digest stays readable: the first few, then how many more the calendar holds."""
    if len(lines) <= DIGEST_LIST_LIMIT:
        return lines
    return [*lines[:DIGEST_LIST_LIMIT], f"- … and {len(lines) - DIGEST_LIST_LIMIT} more (see the calendar)"]


def send_overdue_alerts(center: Center, today: datetime.date, report: Report) -> None:
    """To the assignee once a follow-up's day has passed (in the center's calendar: a call due at
    10:00 done at 10:30 is not worth an alert); to the center admins after N days."""
    tz = center.tzinfo
    escalate_on_or_before = today - datetime.timedelta(days=escalation_days())
    overdue = (
        FollowUp.objects.filter(lead__center=center, assigned_to__isnull=False)
        .overdue(day_start(today, tz))
        .filter(scheduled_date__gte=day_start(today - datetime.timedelta(days=OVERDUE_LOOKBACK_DAYS), tz))
        .select_related("lead__child", "assigned_to")
    )
    admins = None
    for follow_up in overdue:
        due_day = follow_up.scheduled_date.astimezone(tz).date()
        days = (today - due_day).days
        url = f"/leads/{follow_up.lead_id}/"
        deliver(
            follow_up.assigned_to,
            Message(
                kind=NotificationKind.OVERDUE,
                key=f"overdue:f{follow_up.pk}",
                title=f"Overdue follow-up: {follow_up.lead}",
                body=f"The follow-up of {follow_up.lead} was due on {when(follow_up.scheduled_date, tz)}.",
                url=url,
                object_id=follow_up.pk,
                lead_id=follow_up.lead_id,
            ),
            report,
        )
        if due_day <= escalate_on_or_before:
            if admins is None:
                admins = list(User.objects.in_centers(center, roles=[Role.CENTER_ADMIN]))
            for admin in admins:
                deliver(
                    admin,
                    Message(
                        kind=NotificationKind.ESCALATION,
                        key=f"escalation:f{follow_up.pk}",
                        title=f"Follow-up {days} days overdue: {follow_up.lead}",
                        body=(
                            f"{follow_up.assigned_to} has not completed the follow-up of {follow_up.lead}, "
                            f"due on {when(follow_up.scheduled_date, tz)} ({days} days ago)."
                        ),
                        url=url,
                        object_id=follow_up.pk,
                        lead_id=follow_up.lead_id,
                    ),
                    report,
                )


def _notified(kind: str, recipient: str = "assigned_to_id"):
    return Exists(ReminderLog.objects.filter(kind=kind, object_id=OuterRef("pk"), recipient_id=OuterRef(recipient)))


def send_assignment_notifications(center: Center, now: datetime.datetime, report: Report) -> None:
    """Leads and follow-ups someone else assigned to you (found by scanning; the models send nothing).

    A lead counts when its assignee is not the user who last changed it and was never told about
    this lead. A lead its assignee created themselves is skipped until it has been reassigned once
    (an admin editing a counselor's own lead is not an assignment).
    """
    since = now - ASSIGNMENT_LOOKBACK
    any_assignment = Exists(ReminderLog.objects.filter(kind=NotificationKind.LEAD_ASSIGNED, object_id=OuterRef("pk")))
    leads = (
        Lead.objects.filter(center=center, assigned_to__isnull=False, updated_by__isnull=False, updated_at__gte=since)
        .exclude(assigned_to=F("updated_by"))
        .exclude(_notified(NotificationKind.LEAD_ASSIGNED))
        .exclude(Q(assigned_to=F("created_by")) & ~any_assignment)
        .select_related("assigned_to", "updated_by", "child")
    )
    for lead in leads:
        deliver(
            lead.assigned_to,
            Message(
                kind=NotificationKind.LEAD_ASSIGNED,
                key=f"lead-assigned:l{lead.pk}",
                title=f"{lead.updated_by} assigned {lead} to you",
                body=f"{lead} ({lead.get_status_display()}) is now yours.",
                url=f"/leads/{lead.pk}/",
                object_id=lead.pk,
                lead_id=lead.pk,
            ),
            report,
        )
    follow_ups = (
        FollowUp.objects.pending()
        .filter(lead__center=center, assigned_to__isnull=False, created_by__isnull=False, created_at__gte=since)
        .exclude(assigned_to=F("created_by"))
        .exclude(_notified(NotificationKind.FOLLOW_UP_ASSIGNED))
        .select_related("assigned_to", "created_by", "lead__child")
    )
    for follow_up in follow_ups:
        deliver(
            follow_up.assigned_to,
            Message(
                kind=NotificationKind.FOLLOW_UP_ASSIGNED,
                key=f"follow-up-assigned:f{follow_up.pk}",
                title=f"{follow_up.created_by} gave you a follow-up: {follow_up.lead}",
                body=f"Call {follow_up.lead} on {when(follow_up.scheduled_date, center.tzinfo)}.",
                url=f"/leads/{follow_up.lead_id}/",
                object_id=follow_up.pk,
                lead_id=follow_up.lead_id,
            ),
            report,
        )


def notify_online_enquiry(lead: Lead) -> None:
    """At once, when a parent's web enquiry is saved: tell its assignee (bell, email, SMS). Keyed like
    `send_assignment_notifications`' message for the lead, so the next cron run does not repeat it."""
    if lead.assigned_to is None:
        return
    deliver(
        lead.assigned_to,
        Message(
            kind=NotificationKind.LEAD_ASSIGNED,
            key=f"lead-assigned:l{lead.pk}",
            title=f"New online enquiry: {lead}",
            body=f"{lead} came in through the website form and is yours: call the family.",
            url=f"/leads/{lead.pk}/",
            object_id=lead.pk,
            lead_id=lead.pk,
        ),
        Report(),
    )


def send_parent_visit_reminders(center: Center, today: datetime.date, report: Report) -> None:
    """The day before an intro visit, from the digest hour: SMS (and email) to the parent."""
    tomorrow = today + datetime.timedelta(days=1)
    visits = (
        IntroVisit.objects.filter(lead__center=center)
        .awaiting_outcome()
        .on_day(tomorrow, center.tzinfo)
        .select_related("lead__child", "lead__center", "lead__assigned_to")
    )
    for visit in visits:
        parent = primary_parent(visit.lead.child_id)
        if parent is None:
            continue
        if not Consent.parent_allows(parent.pk, Purpose.REMINDERS):
            report.no_consent += 1
            continue
        body = message_for(visit.lead, TemplateKind.VISIT_REMINDER, parent=parent)
        deliver_to_parent(
            Message(
                kind=NotificationKind.VISIT_REMINDER,
                key=f"visit-reminder:v{visit.pk}:{visit.scheduled_at:%Y%m%d%H%M}",
                title=f"Reminder: intro class at {center.name} tomorrow",
                body=body,
                object_id=visit.pk,
                lead_id=visit.lead_id,
            ),
            phone=parent.phone,
            email=parent.email,
            report=report,
        )
