"""Delivery that tells the truth: SENT only when a real backend accepted, LOGGED for log-only ones,
timeouts on SMTP and SMS, rows left SENDING picked up again, an acceptance never sent twice."""

import contextlib
import datetime
import http.server
import json
import socket
import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError
from django.db.models.query import QuerySet
from django.test import override_settings
from django.utils import timezone

from insights.models import Channel, DeliveryStatus, NotificationKind, ReminderLog
from insights.reminders import send_reminders
from insights.sms import BaseSMSBackend, LocmemSMSBackend
from insights.tests.helpers import travel
from leads.tests.factories import make_lead

pytestmark = pytest.mark.django_db

PHONE = "+919811111111"
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(autouse=True)
def _sms_outbox():
    LocmemSMSBackend.outbox = []
    LocmemSMSBackend.idempotency_keys = []
    with override_settings(SMS_BACKEND="insights.sms.LocmemSMSBackend", PARENT_VISIT_REMINDERS=False):
        yield


@pytest.fixture
def due(c):
    """A follow-up due today for a counselor with an email and a phone: one digest, three channels."""
    c.counselor.phone = PHONE
    c.counselor.save()
    lead = make_lead(c.center, c.counselor)
    day = timezone.localdate(timezone=c.center.tzinfo) + datetime.timedelta(days=1)
    lead.add_follow_up(scheduled_date=day, by=c.counselor)
    return datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=c.center.tzinfo)


def row(channel: str) -> ReminderLog:
    return ReminderLog.objects.get(kind=NotificationKind.DIGEST, channel=channel)


# -- fake servers ----------------------------------------------------------------------------------


@contextlib.contextmanager
def silent_server(hold_for: float = 5.0):
    """A TCP port that accepts connections and never says a word (closes them after `hold_for` s,
    so code without a timeout fails slowly instead of hanging the suite)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def serve():
        with contextlib.suppress(OSError):
            while True:
                connection, _ = listener.accept()
                accepted.append(connection)
                threading.Timer(hold_for, connection.close).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        listener.close()
        for connection in accepted:
            connection.close()


class IdempotentProvider(http.server.BaseHTTPRequestHandler):
    """An SMS API that honours Idempotency-Key, like most payment and messaging APIs: a repeated key
    is answered 200 and not sent again. `lose_first_answer`: the first message is accepted, then the
    connection drops before the answer (what a timeout after acceptance looks like to us)."""

    messages: dict[str, dict] = {}
    requests: list[str] = []
    headers_seen: list[dict] = []
    lose_first_answer = True
    status = 200

    def do_POST(self):
        key = self.headers["Idempotency-Key"]
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(key)
        type(self).headers_seen.append(dict(self.headers))
        if self.status != 200:
            self.send_response(self.status)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        first = key not in self.messages
        self.messages.setdefault(key, payload)
        if first and self.lose_first_answer:
            self.close_connection = True
            return  # accepted, but no answer reaches the client
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "queued"}')

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def provider(*, lose_first_answer: bool = True, status: int = 200):
    IdempotentProvider.messages, IdempotentProvider.requests, IdempotentProvider.headers_seen = {}, [], []
    IdempotentProvider.lose_first_answer, IdempotentProvider.status = lose_first_answer, status
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), IdempotentProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/messages"
    finally:
        server.shutdown()
        server.server_close()


# -- SENT only when a real backend accepted --------------------------------------------------------


def test_the_log_only_sms_backend_says_logged_not_sent(c, due):
    with override_settings(SMS_BACKEND="insights.sms.LogSMSBackend"):
        report = send_reminders(due)
    sms = row(Channel.SMS)
    assert sms.status == DeliveryStatus.LOGGED
    assert sms.sent_at is not None
    assert row(Channel.EMAIL).status == DeliveryStatus.SENT  # the (test) mail server took it
    assert "SMS logged only 1" in str(report) and "SMS sent" not in str(report)
    send_reminders(due + datetime.timedelta(minutes=5))
    assert row(Channel.SMS).attempts == 1  # logged is final: not logged again


@pytest.mark.parametrize("backend", ["console", "filebased", "dummy"])
def test_log_only_mailers_say_logged_not_sent(c, due, backend, tmp_path, capsys):
    options = {"file_path": str(tmp_path)} if backend == "filebased" else {}
    mailers = {"default": {"BACKEND": f"django.core.mail.backends.{backend}.EmailBackend", "OPTIONS": options}}
    with override_settings(MAILERS=mailers):
        send_reminders(due)
    assert row(Channel.EMAIL).status == DeliveryStatus.LOGGED
    assert row(Channel.SMS).status == DeliveryStatus.SENT
    assert row(Channel.IN_APP).status == DeliveryStatus.SENT


def test_the_email_carries_its_idempotency_key_as_message_id(c, due):
    send_reminders(due)
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<{row(Channel.EMAIL).idempotency_key}@")


def test_the_http_sms_backend_posts_json_with_the_token_and_the_key(c, due):
    with (
        provider(lose_first_answer=False) as url,
        override_settings(SMS_BACKEND="insights.sms.HttpSMSBackend", SMS_API_URL=url, SMS_API_TOKEN="t0ken"),
    ):
        send_reminders(due)
    sms = row(Channel.SMS)
    assert sms.status == DeliveryStatus.SENT
    [payload] = IdempotentProvider.messages.values()
    assert payload["to"] == PHONE and payload["body"].startswith("Today: 1 follow-up")
    [headers] = IdempotentProvider.headers_seen
    assert headers["Authorization"] == "Bearer t0ken"
    assert headers["Idempotency-Key"] == sms.idempotency_key
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [500, 302])
def test_an_sms_provider_error_or_redirect_is_a_failure(c, due, status):
    with provider(status=status) as url, override_settings(SMS_BACKEND="insights.sms.HttpSMSBackend", SMS_API_URL=url):
        send_reminders(due)
    sms = row(Channel.SMS)
    assert sms.status == DeliveryStatus.FAILED
    assert f"The SMS provider answered {status}" in sms.error
    assert len(IdempotentProvider.requests) == 1  # a redirect is not followed as a GET


def test_the_http_sms_backend_without_a_url_fails_with_a_sentence(c, due):
    with override_settings(SMS_BACKEND="insights.sms.HttpSMSBackend", SMS_API_URL=""):
        send_reminders(due)
    assert "set SMS_API_URL too" in row(Channel.SMS).error


# -- timeouts --------------------------------------------------------------------------------------


def test_an_smtp_server_that_never_answers_fails_the_email_within_the_timeout(c, due):
    with silent_server() as (port, accepted):
        # A mailer configured without a timeout of its own still gets SMTP_TIMEOUT.
        mailers = {"default": {"BACKEND": SMTP, "OPTIONS": {"host": "127.0.0.1", "port": port}}}
        with override_settings(MAILERS=mailers, SMTP_TIMEOUT=0.5):
            started = time.monotonic()
            report = send_reminders(due)
            elapsed = time.monotonic() - started
        assert accepted, "the mailer never reached the fake server"
    assert elapsed < 3
    email = row(Channel.EMAIL)
    assert (email.status, email.attempts, email.sent_at) == (DeliveryStatus.FAILED, 1, None)
    assert "timed out" in email.error
    assert report.failed[Channel.EMAIL] == 1
    assert row(Channel.SMS).status == DeliveryStatus.SENT  # the other channels went on

    send_reminders(due + datetime.timedelta(minutes=5))  # the server is back (the test mailer)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1


def test_an_sms_provider_that_never_answers_fails_the_sms_within_the_timeout(c, due):
    with silent_server() as (port, accepted):
        with override_settings(
            SMS_BACKEND="insights.sms.HttpSMSBackend", SMS_API_URL=f"http://127.0.0.1:{port}/", SMS_TIMEOUT=0.5
        ):
            started = time.monotonic()
            send_reminders(due)
            elapsed = time.monotonic() - started
        assert accepted
    assert elapsed < 3
    sms = row(Channel.SMS)
    assert (sms.status, sms.attempts) == (DeliveryStatus.FAILED, 1)
    assert "timed out" in sms.error
    assert row(Channel.EMAIL).status == DeliveryStatus.SENT


# -- an acceptance is never sent twice -------------------------------------------------------------


def test_an_sms_accepted_whose_answer_was_lost_is_retried_with_the_same_key_and_sent_once(c, due):
    with provider() as url, override_settings(SMS_BACKEND="insights.sms.HttpSMSBackend", SMS_API_URL=url):
        send_reminders(due)
        assert row(Channel.SMS).status == DeliveryStatus.FAILED  # we could not know it was accepted
        for minutes in (5, 10, 15):
            send_reminders(due + datetime.timedelta(minutes=minutes))
    sms = row(Channel.SMS)
    assert (sms.status, sms.attempts) == (DeliveryStatus.SENT, 2)
    assert IdempotentProvider.requests == [sms.idempotency_key] * 2
    assert list(IdempotentProvider.messages.values()) == [{"to": PHONE, "body": mock.ANY}]  # one SMS


def test_an_error_recording_the_acceptance_does_not_send_again(c, due):
    update = QuerySet.update
    failures = []

    def flaky_update(queryset, **fields):
        # The provider has accepted the SMS; the first write of "SENT" hits a dropped connection.
        sent = queryset.model is ReminderLog and fields.get("status") == DeliveryStatus.SENT
        if sent and not failures and queryset.filter(channel=Channel.SMS).exists():
            failures.append(fields)
            raise OperationalError("server closed the connection unexpectedly")
        return update(queryset, **fields)

    with mock.patch.object(QuerySet, "update", flaky_update):
        send_reminders(due)
    assert failures
    sms = row(Channel.SMS)
    assert (sms.status, sms.attempts) == (DeliveryStatus.SENT, 1)

    with travel(timezone.now() + datetime.timedelta(hours=1)):  # long past REMINDER_SENDING_TIMEOUT
        send_reminders(due + datetime.timedelta(minutes=5))
    assert len(LocmemSMSBackend.outbox) == 1


class KilledMidSend(BaseSMSBackend):
    """The run is killed (SIGTERM, OOM, a deploy) while the provider has not answered yet."""

    def send(self, to, body, *, idempotency_key):
        raise KeyboardInterrupt


def test_a_row_left_sending_by_a_dead_run_is_sent_again_once_after_the_timeout(c, due):
    with override_settings(SMS_BACKEND="insights.tests.test_delivery.KilledMidSend"), pytest.raises(KeyboardInterrupt):
        send_reminders(due)
    sms = row(Channel.SMS)
    assert sms.status == DeliveryStatus.SENDING

    send_reminders(due + datetime.timedelta(minutes=5))  # within the timeout: maybe still being sent
    assert LocmemSMSBackend.outbox == []

    with override_settings(REMINDER_SENDING_TIMEOUT=600), travel(timezone.now() + datetime.timedelta(seconds=601)):
        report = send_reminders(due + datetime.timedelta(minutes=10))
        send_reminders(due + datetime.timedelta(minutes=15))
    assert report.interrupted == 1
    assert len(LocmemSMSBackend.outbox) == 1
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (DeliveryStatus.SENT, 2)
    assert LocmemSMSBackend.idempotency_keys == [sms.idempotency_key]  # the key the dead run used too


def test_idempotency_keys_differ_between_messages_and_stay_across_attempts(c, due):
    c.admin.phone = "+919822222222"
    c.admin.save()
    send_reminders(due)
    keys = [log.idempotency_key for log in ReminderLog.objects.all()]
    assert len(keys) == len(set(keys)) == ReminderLog.objects.count()
    first = ReminderLog.objects.first()
    assert ReminderLog.objects.get(pk=first.pk).idempotency_key == first.idempotency_key
