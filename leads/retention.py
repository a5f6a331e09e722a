"""Retention (issue 10): which families are erased and which access-log rows deleted, per center.

Each center sets three periods (accounts.Center, months):
- `closed_lost_retention_months` (24): a family whose leads are all CLOSED_LOST is erased that long
  after its last closing.
- `converted_retention_months` (24): a family with a CONVERTED lead and no open lead is erased that
  long after the latest of its conversions, enrollment starts and closings. Enrollments have no end
  date yet, so the latest conversion or enrollment start stands for "while enrolled"; a family that
  enrolls again (a new lead, a new enrollment) starts the period again.
- `access_log_retention_months` (13, at least 12): access-log rows older than that are deleted.
  Rows of no center (sign-ins) are kept for the default period.
- Intake items (webhook deliveries) that never became a lead, older than `closed_lost_retention_months`:
  their payload (a child's details) is cleared and an item still waiting for review is dismissed, so
  the intake inbox never keeps a child's data longer than a lost enquiry would be.

A family with an open lead is never due. Erasure is `leads.erasure.erase_family(by=None)`: the
figures stay, as for a parent's request.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, Max, OuterRef

from accounts.models import AccessLog, Center
from leads.erasure import erase_family
from leads.lifecycle import OPEN_STATUSES, LeadStatus, LifecycleError
from leads.models import Child, FamilyLink, IntakeItem, IntakeStatus, Lead

CLOSED_LOST, CONVERTED, ACCESS_LOG, INTAKE = (
    "closed-lost families erased",
    "converted families erased",
    "access-log rows deleted",
    "unlinked intake items cleared",
)
RULES = (CLOSED_LOST, CONVERTED, ACCESS_LOG, INTAKE)
INTAKE_EXPIRED = "Not made into an enquiry within the retention period: its details were erased."

#: The period of access-log rows that belong to no center.
DEFAULT_ACCESS_LOG_MONTHS = Center._meta.get_field("access_log_retention_months").default


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` earlier (the month's last day when it is shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass
class CenterDue:
    """What retention would do (or did) in one center: one child per due family, and the log rows."""

    center: Center | None
    closed_lost: list[Child] = field(default_factory=list)
    converted: list[Child] = field(default_factory=list)
    access_log_before: datetime.datetime | None = None
    access_log_rows: int = 0
    intake_before: datetime.datetime | None = None
    intake_items: int = 0

    @property
    def label(self) -> str:
        return self.center.code if self.center else "(no center)"

    def counts(self) -> dict[str, int]:
        return {
            CLOSED_LOST: len(self.closed_lost),
            CONVERTED: len(self.converted),
            ACCESS_LOG: self.access_log_rows,
            INTAKE: self.intake_items,
        }


def _as_moment(day: datetime.date | None, tz) -> datetime.datetime | None:
    return None if day is None else datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def due_families(center: Center, now: datetime.datetime) -> tuple[list[Child], list[Child]]:
    """(closed-lost families, converted families) of `center` due for erasure at `now`, one child
    each (the one `erase_family` is given: its family is `family_children`'s, computed here from
    the center's links). Three queries per center, whatever its size."""
    closed_before = months_before(now, center.closed_lost_retention_months)
    converted_before = months_before(now, center.converted_retention_months)
    tz = center.tzinfo
    rows = {
        row["pk"]: row
        for row in Child.objects.filter(center=center)
        .order_by()
        .values("pk", "erased_at")
        .annotate(
            has_open=Exists(Lead.objects.filter(child=OuterRef("pk"), status__in=OPEN_STATUSES)),
            has_converted=Exists(Lead.objects.filter(child=OuterRef("pk"), status=LeadStatus.CONVERTED)),
            last_closed=Max("leads__closed_at"),
            last_converted=Max("leads__converted_at"),
            last_enrolled=Max("enrollments__start_date"),
        )
    }
    parents_of: dict[int, set[int]] = defaultdict(set)
    children_of: dict[int, set[int]] = defaultdict(set)
    for parent_id, child_id in FamilyLink.objects.filter(child__center=center).values_list("parent_id", "child_id"):
        parents_of[child_id].add(parent_id)
        children_of[parent_id].add(child_id)

    seen: set[int] = set()
    closed_lost: list[int] = []
    converted: list[int] = []
    for pk in sorted(rows):
        if pk in seen:
            continue
        members = set().union(*(children_of[parent] for parent in parents_of[pk])) or {pk}
        seen |= members
        family = [rows.get(member) for member in members]
        if any(row is None or row["erased_at"] or row["has_open"] for row in family):
            continue  # an open lead, or erased already (or a child of another center: leave it)
        moments = [
            moment
            for row in family
            for moment in (row["last_closed"], row["last_converted"], _as_moment(row["last_enrolled"], tz))
            if moment is not None
        ]
        if not moments:
            continue  # no lead closed or converted yet
        if any(row["has_converted"] for row in family):
            if max(moments) < converted_before:
                converted.append(pk)
        elif max(moments) < closed_before:
            closed_lost.append(pk)
    children = Child.objects.select_related("center").in_bulk(closed_lost + converted)
    return [children[pk] for pk in closed_lost], [children[pk] for pk in converted]


def plan(now: datetime.datetime, centers=None) -> list[CenterDue]:
    """What is due in each center (all centers unless given), and for the rows of no center."""
    centers = list(Center.objects.order_by("code") if centers is None else centers)
    plans = []
    for center in centers:
        closed_lost, converted = due_families(center, now)
        before = months_before(now, center.access_log_retention_months)
        rows = AccessLog.objects.filter(center=center, at__lt=before).count()
        intake_before = months_before(now, center.closed_lost_retention_months)
        items = _stale_intake(center, intake_before).count()
        plans.append(CenterDue(center, closed_lost, converted, before, rows, intake_before, items))
    before = months_before(now, DEFAULT_ACCESS_LOG_MONTHS)
    plans.append(CenterDue(None, access_log_before=before, access_log_rows=_centerless(before).count()))
    return plans


def _stale_intake(center: Center, before: datetime.datetime):
    """Deliveries of the center that never became a lead, received before `before`, still holding data."""
    return (
        IntakeItem.objects.filter(source__center=center, lead__isnull=True, received_at__lt=before)
        .exclude(payload={})
        .exclude(status=IntakeStatus.RECEIVED)
    )


def _centerless(before: datetime.datetime):
    return AccessLog.objects.filter(center__isnull=True, at__lt=before)


def apply(plans: list[CenterDue]) -> list[CenterDue]:
    """Erase the due families (the system, `by=None`) and delete the old log rows; what was done."""
    done = []
    for due in plans:
        erased = {CLOSED_LOST: [], CONVERTED: []}
        for rule, children in ((CLOSED_LOST, due.closed_lost), (CONVERTED, due.converted)):
            for child in children:
                try:
                    erase_family(child, by=None)
                except LifecycleError:
                    continue  # erased meanwhile (a parent's request): nothing more to do
                erased[rule].append(child)
        # The erasures above wrote their own rows, now: the cut-off keeps every one of them.
        old = (
            AccessLog.objects.filter(center=due.center) if due.center else AccessLog.objects.filter(center__isnull=True)
        )
        deleted = old.prune_older_than(due.access_log_before)  # the log's one way out (append-only)
        cleared = 0
        if due.center is not None and due.intake_before is not None:
            stale = _stale_intake(due.center, due.intake_before)
            cleared = stale.filter(status=IntakeStatus.NEEDS_REVIEW).update(
                status=IntakeStatus.DISMISSED, payload={}, error=INTAKE_EXPIRED
            )
            cleared += stale.update(payload={})
        done.append(
            CenterDue(
                due.center,
                erased[CLOSED_LOST],
                erased[CONVERTED],
                due.access_log_before,
                deleted,
                due.intake_before,
                cleared,
            )
        )
    return done
