"""Bounded fields of the insights screens' query strings and forms (see leads/params.py)."""

from __future__ import annotations

from django import forms

from leads.params import DateField, IdField, QueryForm


class CalendarQuery(QueryForm):
    """The week calendar: `?week=` (any day of it), `center`, `trainer`, `counselor` ids."""

    week = DateField(required=False)
    center = IdField(required=False)
    trainer = IdField(required=False)
    counselor = IdField(required=False)


#: One center's wording of one message: no NUL bytes (CharField's own validator); its length and
#: placeholders are `insights.placeholders.validate_template`'s, as in admin.
MESSAGE_BODY = forms.CharField(required=False)
