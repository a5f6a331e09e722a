"""Time travel for building histories: every verb reads `django.utils.timezone.now`."""

import contextlib
import datetime
from unittest import mock


@contextlib.contextmanager
def travel(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
