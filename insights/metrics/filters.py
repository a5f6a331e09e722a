"""The dashboard's population: leads created in a date range, narrowed by center, source, program and counselor."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Center, User, counts_only_own
from leads.models import Lead, LeadSource, Program

# The dates the dashboard accepts (leads/params.py, as every screen): a range bound outside them
# (year 1, year 9999) would overflow the time-zone arithmetic, mid-response for a CSV.
from leads.params import EARLIEST, LATEST, clean_date, clean_id

DEFAULT_RANGE_DAYS = 90


@dataclass
class Filters:
    start: datetime.date
    end: datetime.date
    center: Center | None = None
    source: str = ""
    counselor: User | None = None
    centers: list[Center] = field(default_factory=list)  # the user's centers (the filter's choices)
    errors: list[str] = field(default_factory=list)
    program: Program | None = None
    programs: list[Program] = field(default_factory=list)  # the program filter's choices

    @property
    def tz(self):
        return self.center.tzinfo if self.center else timezone.get_default_timezone()

    @property
    def start_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.start, datetime.time.min, tzinfo=self.tz)

    @property
    def end_at(self) -> datetime.datetime:
        """Exclusive: the start of the day after `end`."""
        return datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=self.tz)

    @classmethod
    def from_query(
        cls,
        user: User,
        query,
        *,
        today: datetime.date | None = None,
        centers: list[Center] | None = None,
        default_center: Center | None = None,
    ) -> Filters:
        """Read start, end, center, source, counselor; anything invalid falls back with a message.

        Without a `center` parameter, `default_center` (the switcher's) applies; `center=` means all.
        """
        errors = []
        centers = list(Center.objects.for_user(user)) if centers is None else centers
        center = default_center if "center" not in query else None
        if query.get("center"):
            center = next((c for c in centers if str(c.pk) == query.get("center")), None)
            if center is None:
                errors.append("That center is not one of yours: showing all your centers.")
        if center is None and len(centers) == 1:
            center = centers[0]
        tz = center.tzinfo if center else timezone.get_default_timezone()
        today = today or timezone.localdate(timezone=tz)
        end = _date(query.get("end")) or today
        start = _date(query.get("start")) or end - datetime.timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if (query.get("start") and not _date(query.get("start"))) or (query.get("end") and not _date(query.get("end"))):
            errors.append(
                f"Dates are written YYYY-MM-DD, from {EARLIEST.year} to {LATEST.year}: showing the last 90 days."
            )
        if start > end:
            errors.append("The range starts after it ends: the dates were swapped.")
            start, end = end, start
        source = query.get("source") or ""
        if source and source not in LeadSource.values:
            errors.append("Unknown source: showing every source.")
            source = ""
        counselor = None
        if counts_only_own(user):
            counselor = user  # counselors see their own figures only
        elif query.get("counselor"):
            counselor_id = clean_id(query.get("counselor"))  # 1 to 2**63 - 1, ASCII digits; else None
            counselor = User.objects.in_centers(centers).filter(pk=counselor_id).first() if counselor_id else None
            if counselor is None:
                errors.append("Unknown counselor: showing everyone.")
        # Programs of the chosen center (or of all the user's): another center's is "unknown".
        programs = list(Program.objects.filter(center__in=[center] if center else centers).select_related("center"))
        program = None
        if query.get("program"):
            program_id = clean_id(query.get("program"))
            program = next((p for p in programs if p.pk == program_id), None)
            if program is None:
                errors.append("Unknown program: showing every program.")
        return cls(start, end, center, source, counselor, centers, errors, program, programs)

    def leads(self, user: User, *, created: bool = True) -> QuerySet:
        queryset = Lead.objects.for_user(user)
        if created:
            queryset = queryset.filter(created_at__gte=self.start_at, created_at__lt=self.end_at)
        if self.center is not None:
            queryset = queryset.filter(center=self.center)
        if self.source:
            queryset = queryset.filter(source=self.source)
        if self.counselor is not None:
            queryset = queryset.filter(assigned_to=self.counselor)
        if self.program is not None:
            queryset = queryset.filter(program=self.program)
        return queryset

    def query(self, **extra) -> str:
        """The dashboard's own query string (for drill-down links and CSV), plus `extra`."""
        # `center=` (empty) says "all centers" explicitly, so the switcher's center does not apply.
        params = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "center": self.center.pk if self.center else "",
        }
        if self.source:
            params["source"] = self.source
        if self.counselor:
            params["counselor"] = self.counselor.pk
        if self.program:
            params["program"] = self.program.pk
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    def leads_list_query(self, **extra) -> str:
        """The same population in the leads list's own parameters (django-filter there)."""
        params = {"created_after": self.start.isoformat(), "created_before": self.end.isoformat()}
        if self.center:
            params["center"] = self.center.pk
        if self.source:
            params["source"] = self.source
        if self.counselor:
            params["assigned_to"] = self.counselor.pk
        if self.program:
            params["program"] = self.program.pk
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)


def _date(value) -> datetime.date | None:
    """A date written YYYY-MM-DD within EARLIEST..LATEST, else None."""
    return clean_date(value)
