"""Bounded fields for every value a request carries, and the query-string forms of the screens.

A value from a query string or a form (a date, an id, an offset, a choice, a text) is parsed by a
form field with bounds, never by `int()` or `date.fromisoformat()` in a view, so that junk becomes
"not given" or a message beside the field, never a 500:

- ids: ASCII digits, 1 to 2**63 - 1, what the database stores (`²` passes `str.isdigit()` but not
  `int()`; `١٢` passes both; 30 digits overflow PostgreSQL's bigint and SQLite's integer);
- dates and times: years 2000 to 2100 (year 1 or 9999 overflows as soon as a day or a timezone
  offset is added, and no lead of ours lives outside that range);
- offsets: 0 to a billion (OFFSET + LIMIT must still fit the database integer);
- text: a maximum length, no NUL bytes (PostgreSQL refuses them; `forms.CharField` checks).

`QueryForm.read(request.GET)` reads a query string the way the screens want it: each parameter
cleaned (its field's empty value when not sent), or None when it is junk.
"""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from crm.converters import MAX_ID

EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)
MAX_OFFSET = 10**9
DATE_RANGE_MESSAGE = f"Use a date between {EARLIEST:%Y} and {LATEST:%Y}."

_ASCII_NUMBER = re.compile(r"[0-9]{1,19}")


class IdField(forms.IntegerField):
    """An object id: ASCII digits only, 1 to 2**63 - 1."""

    default_error_messages = {"invalid": "Enter a valid id."}

    def __init__(self, *, min_value: int = 1, max_value: int = MAX_ID, **kwargs: Any):
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _ASCII_NUMBER.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class OffsetField(IdField):
    """How many rows to skip: 0 to a billion."""

    def __init__(self, **kwargs: Any):
        super().__init__(min_value=0, max_value=MAX_OFFSET, **kwargs)


class DateField(forms.DateField):
    """A date within 2000-2100 (also the date picker's own min and max)."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.validators.append(MinValueValidator(EARLIEST, message=DATE_RANGE_MESSAGE))
        self.validators.append(MaxValueValidator(LATEST, message=DATE_RANGE_MESSAGE))

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}


class DateTimeField(forms.DateTimeField):
    """A date and time within 2000-2100."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST <= value.date() <= LATEST:
            raise ValidationError(DATE_RANGE_MESSAGE, code="date_range")

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "min": f"{EARLIEST}T00:00", "max": f"{LATEST}T23:59"}


class TextField(forms.CharField):
    """Free text of at most `max_length` characters; NUL bytes refused (CharField's own validator)."""

    def __init__(self, *, max_length: int = 200, required: bool = False, **kwargs: Any):
        super().__init__(max_length=max_length, required=required, **kwargs)


class LocalPathField(forms.CharField):
    """Where to go back to: a path of this site (`/leads/?page=2`), never another host."""

    def __init__(self, *, prefix: str = "/", **kwargs: Any):
        self.prefix = prefix
        super().__init__(max_length=2000, required=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and (not value.startswith(self.prefix) or value.startswith("//") or "\\" in value):
            raise ValidationError("Not a page of this site.", code="not_local")


def clean(field: forms.Field, value) -> Any:
    """`field`'s cleaned value, or None for junk (and for nothing)."""
    try:
        return field.clean(value)
    except ValidationError:
        return None


def clean_id(value) -> int | None:
    """An id from anywhere (a query string, a form, a JSON value): the id, or None for junk."""
    return clean(IdField(required=False), value)


def clean_date(value) -> datetime.date | None:
    """A YYYY-MM-DD date within 2000-2100, or None for junk."""
    return clean(DateField(required=False), value)


class QueryForm(forms.Form):
    """A query string's parameters, each bounded; `read()` gives junk as None, a missing one as empty."""

    @classmethod
    def read(cls, data) -> SimpleNamespace:
        form = cls(data)
        form.is_valid()
        return SimpleNamespace(
            **{name: None if name in form.errors else form.cleaned_data.get(name) for name in form.fields}
        )


# -- the query strings of the leads screens ------------------------------------------------------


class BoardColumnQuery(QueryForm):
    """ "Load more" on the board: `?offset=`."""

    offset = OffsetField(required=False)


class NextQuery(QueryForm):
    """The page to go back to after a form (`next=`)."""

    next = LocalPathField()


class StepSent(forms.Form):
    """`?step=` of a trainer card: which confirmation or choice it opens (anything else: none)."""

    step = forms.ChoiceField(choices=[("", ""), ("no_show", "no_show"), ("correct", "correct")], required=False)


class OutcomeSent(forms.Form):
    """The trainer's one-tap outcome: the outcome's code and the notes, as typed (the verb checks them)."""

    outcome = TextField(max_length=40)
    notes = TextField(max_length=2000, label="Notes")

    def message(self) -> str:
        return " ".join(
            f"{self.fields[name].label or name.capitalize()}: {' '.join(e)}" for name, e in self.errors.items()
        )


# -- dates in any screen's query string ------------------------------------------------------------

#: The date parameters of the screens' query strings: the calendar's `week`, the dashboard's and
#: drill-down's `start`/`end`, the leads list's and board's `created_after`/`created_before`.
#: A new screen taking a date names its parameter here (the walk in leads/tests/test_editing_dates.py
#: tries every one on every page).
DATE_PARAMS = ("week", "start", "end", "created_after", "created_before")


def bad_date_message(query) -> str | None:
    """The sentence for the first malformed or out-of-range date of `query`, None when all are fine
    (an empty value is "not given")."""
    field = DateField(required=False)
    for name in DATE_PARAMS:
        for value in query.getlist(name):
            if value in ("", None):
                continue
            try:
                field.clean(value)
            except ValidationError:
                shown = value if len(value) <= 40 else value[:40] + "…"
                return (
                    f"“{name}” must be a date written YYYY-MM-DD between {EARLIEST.year} and {LATEST.year}; "
                    f"“{shown}” is not one."
                )
    return None


class BadDateMiddleware:
    """Every page answers a malformed or out-of-range date in its query string with a 400 and the
    sentence, before any view turns it into a datetime (year 1 or 9999 overflows, 2026-02-30 does
    not exist). The API has its own 422s (api/errors.py), admin its own filters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET" and not request.path.startswith(("/api/", "/admin/")):
            message = bad_date_message(request.GET)
            if message is not None:
                from django.shortcuts import render

                return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)
