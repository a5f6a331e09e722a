"""Bounded fields of the insights screens' query strings and forms (see leads/params.py)."""

from __future__ import annotations

from leads.params import DateField, IdField, QueryForm, TextField


class CalendarQuery(QueryForm):
    """The week calendar: `?week=` (any day of it), `center`, `trainer`, `counselor` ids."""

    week = DateField(required=False)
    center = IdField(required=False)
    trainer = IdField(required=False)
    counselor = IdField(required=False)


#: One center's wording of one message (a text area on the message templates page).
MESSAGE_BODY = TextField(max_length=1000, error_messages={"max_length": "Keep the message under 1,000 characters."})
