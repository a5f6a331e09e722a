"""The only place that turns (user, id) into an object, a 404 or a 403.

Views, the API and admin call these; none of them calls `Lead.objects.get()` directly.
Rules: unknown id -> 404; object of a center the user does not work in -> 403 (the spec's
tenant rule); role without the right for `action` -> 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import AccessAction, AccessLog, Action, User
from leads.models import Batch, FollowUp, IntroVisit, Lead


def require_action(user: User, action: str) -> None:
    if not user.may(action):
        raise PermissionDenied("Your role does not allow this action.")


def _check(user: User, center_id: int, action: str) -> None:
    if not user.works_in(center_id):
        raise PermissionDenied("This belongs to another center.")
    if not user.may(action, center_id):  # the role in that center (issue 10: roles are per center)
        raise PermissionDenied("Your role does not allow this action.")


def get_lead_for_user(user: User, pk: int, *, action: str = Action.VIEW_LEADS, queryset=None) -> Lead:
    queryset = queryset if queryset is not None else Lead.objects.select_related("center", "child", "assigned_to")
    lead = queryset.filter(pk=pk).first()
    if lead is None:
        raise Http404("No such lead.")
    _check(user, lead.center_id, action)
    return lead


def get_intro_visit_for_user(user: User, pk: int, *, action: str = Action.RECORD_OUTCOME) -> IntroVisit:
    visit = (
        IntroVisit.objects.select_related("lead", "lead__center", "lead__child", "batch", "trainer")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404("No such intro visit.")
    _check(user, visit.lead.center_id, action)
    return visit


def get_follow_up_for_user(user: User, pk: int, *, action: str = Action.MANAGE_FOLLOW_UP) -> FollowUp:
    follow_up = (
        FollowUp.objects.select_related("lead", "lead__center", "lead__child", "assigned_to").filter(pk=pk).first()
    )
    if follow_up is None:
        raise Http404("No such follow-up.")
    _check(user, follow_up.lead.center_id, action)
    return follow_up


def get_batch_for_user(user: User, pk: int, *, action: str = Action.SCHEDULE_VISIT) -> Batch:
    batch = Batch.objects.select_related("center", "trainer").filter(pk=pk).first()
    if batch is None:
        raise Http404("No such batch.")
    _check(user, batch.center_id, action)
    return batch


def _log_family(request, lead: Lead, *, action: str, object_type: str, object_id, detail: str) -> None:
    """One access-log row about `lead`'s family (its center and family id from the lead): one INSERT."""
    AccessLog.record(
        request,
        action=action,
        object_type=object_type,
        object_id=object_id,
        center_id=lead.center_id,
        family_id=lead.child_id,
        detail=detail,
    )


def log_lead_change(request, lead: Lead, detail: str) -> None:
    """One access-log row for a change to a lead or its visits, follow-ups or family.

    Called by every door (lead page, board, queue, trainer view, API) once its verb succeeded, so
    a refused action logs nothing. `detail` names the door and the action ("board move to
    CLOSED_LOST", "api follow-up 7 cancel"), never the data written.
    """
    _log_family(request, lead, action=AccessAction.CHANGE, object_type="lead", object_id=lead.pk, detail=detail)


def log_lead_view(request, lead: Lead, *, detail: str = "") -> None:
    """One access-log row for a look at a lead and its family (lead page, API detail)."""
    _log_family(request, lead, action=AccessAction.VIEW, object_type="lead", object_id=lead.pk, detail=detail)


def log_consent(request, lead: Lead, consent, *, detail: str) -> None:
    """One access-log row for a consent recorded or withdrawn on a lead's family."""
    purposes = ", ".join(consent.purposes) or "nothing"
    _log_family(
        request,
        lead,
        action=AccessAction.CONSENT,
        object_type="consent",
        object_id=consent.pk,
        detail=f"{detail}: {purposes} ({consent.method})",
    )


#: Query-string values that may carry a child's or parent's name, phone or email: logged as hidden.
_SEARCH_PARAMETERS = frozenset({"q", "search"})


def export_detail(query, *, prefix: str = "", skip: tuple[str, ...] = ()) -> str:
    """What was exported, as its filters (`source=REFERRAL&status=...`), never the search text."""
    parts = [
        f"{name}={'(hidden)' if name in _SEARCH_PARAMETERS else value}"
        for name, values in query.lists()
        for value in values
        if value != "" and name not in skip
    ]
    return " ".join(filter(None, [prefix, "&".join(parts)]))[:200]


def log_lead_list_export(request, *, center_id: int | None, detail: str) -> None:
    """One access-log row for a list of leads leaving the product (CSV, XLSX, an API list page).

    One INSERT and no read: the rows are not looked up (the filters say what went out). The
    center is the one the list was narrowed to, or the user's only center; a list over several
    centers has none (super admins see those rows).
    """
    from leads.centers import user_centers

    if center_id is None:
        centers = user_centers(request)  # read once per request already by the list's filter
        center_id = centers[0].pk if len(centers) == 1 else None
    AccessLog.record(
        request,
        action=AccessAction.EXPORT,
        object_type="lead_list",
        center_id=center_id,
        detail=detail,
    )


def get_intake_item_for_user(user: User, pk: int, *, action: str = Action.CREATE_ENQUIRY):
    """An intake inbox item (webhook delivery), checked against its source's center."""
    from leads.models import IntakeItem

    item = IntakeItem.objects.select_related("source", "source__center").filter(pk=pk).first()
    if item is None:
        raise Http404("No such intake item.")
    _check(user, item.source.center_id, action)
    return item
