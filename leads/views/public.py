"""The public enquiry form, /enquire/<center code>/ (issue 11, section 1): no login, phone-first.

A parent's submission goes through `Lead.create_enquiry` like any other door, recorded by the
center's website user (leads/public.py) with a WEB_FORM consent carrying the parent's address and
browser, and assigned by the center's automatic assignment (leads/assignment.py); the assignee is notified at once.

What is refused before the verb, saving nothing:
- a body over PUBLIC_ENQUIRY_MAX_BYTES: 413;
- the honeypot filled in: the normal thank-you page (a bot learns nothing), nothing saved;
- a form sent under PUBLIC_ENQUIRY_MIN_SECONDS after it was shown, or rendered more than
  PUBLIC_ENQUIRY_MAX_AGE ago, or without a valid signed token: 400, "send it again";
- more than PUBLIC_ENQUIRY_PER_ADDRESS valid submissions from one address an hour, or
  PUBLIC_ENQUIRY_PER_PHONE for one phone a day: 429 with the center to call.

The same child enquired again while their lead is open: a note "Enquired again online" on that
lead, and the same thank-you page. Pages speak English or Hindi: `?lang=hi`, else the browser's
Accept-Language (staff pages are not affected: no LocaleMiddleware).

Online trial booking: a new lead's thank-you step is `book/<token>/`, the token a signed link to the
lead (leads/public.py `booking_token`): it lists the next free sessions that fit the child and books
the one picked through `Lead.schedule_intro_visit`, by the website user. `booking/<token>/` shows the
booked visit (the confirmation page, and the link in the email and SMS); `booking/<token>/change/`
moves it (`IntroVisit.reschedule`) or calls it off (`IntroVisit.cancel`). A seat taken meanwhile is
the verb's refusal: the page offers the next sessions with a sentence, never a 500.

Every page has an `/embed/` twin for a center's own website (an iframe): no header, framing allowed
to the center's `embed_origins` only (CSP frame-ancestors), and no CSRF cookie check, since a browser
does not send our cookies inside another site's frame; a forged post gains nothing there (the form
has its signed render time, the booking pages their signed link).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Center
from accounts.net import client_address
from leads import public
from leads.forms import PublicCancelForm, PublicEnquiryForm, PublicSessionForm
from leads.models import ExpectationChoice, IntroVisit, Lead, LifecycleError, PrivacyNotice, Program
from leads.models.enrollment import Session, session_time
from leads.models.lead import SAME_PARENT, DuplicateEnquiry

logger = logging.getLogger("leads.public")

#: The session key of the child's first name, shown once on the thank-you page.
THANKS_NAME = "public_enquiry_child"


def _language(request: HttpRequest) -> str:
    """ "hi" or "en": `?lang=`, else the browser's Accept-Language (or language cookie)."""
    lang = request.GET.get("lang") or translation.get_language_from_request(request) or ""
    return "hi" if lang.lower().startswith("hi") else "en"


def _center(code: str) -> Center:
    code = (code or "").upper()
    if not code.isascii() or not code.isalnum():  # never sent to the database (a NUL breaks PostgreSQL)
        raise Http404("No such center.")
    return get_object_or_404(Center, code=code)


def _form(center: Center, data=None, *, notice: PrivacyNotice) -> PublicEnquiryForm:
    return PublicEnquiryForm(
        data,
        programs=Program.objects.filter(center=center, is_active=True).order_by("name"),
        expectation_choices=ExpectationChoice.choices_for(center),
        initial={"started": public.form_token(center), "consent_notice_version": notice.version},
    )


def _url(name: str, center: Center, lang: str, *args, embed: bool = False) -> str:
    """A public page's address, in the iframe's twin when `embed`, keeping the language."""
    return f"{reverse(f'leads:{name}_embed' if embed else f'leads:{name}', args=[center.code, *args])}?lang={lang}"


def _render(request, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    context = {"languages": settings.LANGUAGES, "embed": False, **context}
    return render(request, template, context, status=status)


def embeddable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The /embed/ twin of a public view: framing allowed to the center's listed website origins
    ('none' when it lists none), the rest of the site's CSP kept; all other pages stay unframeable."""

    @csrf_exempt  # see the module's docstring: no cookie reaches us inside another site's frame
    @wraps(view)
    def embedded(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        center = _center(code)
        response = view(request, code, *args, embed=True, **kwargs)
        response.xframe_options_exempt = True
        response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": center.embed_origin_list() or [CSP.NONE]}
        return response

    return embedded


def _page(request, center, form, notice, lang, *, status=200, problem: str = "", embed: bool = False) -> HttpResponse:
    if form.is_bound:
        # A re-shown form gets a fresh render time and the notice it now shows.
        form.data = form.data.copy()
        form.data["started"] = public.form_token(center)
        form.data["consent_notice_version"] = str(notice.version)
    context = {
        "center": center,
        "form": form,
        "notice": notice,
        "lang": lang,
        "problem": problem,
        "embed": embed,
    }
    return _render(request, "leads/public_enquiry.html", context, status=status)


def _thanks_url(center: Center, lang: str, embed: bool = False) -> str:
    return _url("public_thanks", center, lang, embed=embed)


@require_http_methods(["GET", "POST"])
def enquire(request: HttpRequest, code: str, *, embed: bool = False) -> HttpResponse:
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        notice = PrivacyNotice.current_for(center)
        if request.method == "GET":
            return _page(request, center, _form(center, notice=notice), notice, lang, embed=embed)
        return _submit(request, center, notice, lang, embed=embed)


def _submit(request: HttpRequest, center: Center, notice: PrivacyNotice, lang: str, *, embed: bool) -> HttpResponse:
    too_big = _("Your message is too long. Please shorten the remarks and send it again.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.PUBLIC_ENQUIRY_MAX_BYTES:
        return _page(
            request, center, _form(center, notice=notice), notice, lang, status=413, problem=too_big, embed=embed
        )
    form = _form(center, request.POST, notice=notice)
    if request.POST.get("website"):
        # The honeypot: only a bot fills in a field nobody can see. It gets the ordinary thank-you page.
        logger.info("Public enquiry for %s refused: honeypot filled in", center.code)
        return redirect(_thanks_url(center, lang, embed))
    match public.token_problem(request.POST.get("started", ""), center):
        case "fast":
            problem = _("That was very quick! Please check your details and press “Send” again.")
            return _page(request, center, form, notice, lang, status=400, problem=problem, embed=embed)
        case "old" | "bad":
            problem = _("This page was open for a long time. Please check your details and press “Send” again.")
            return _page(request, center, form, notice, lang, status=400, problem=problem, embed=embed)
    if not form.is_valid():
        return _page(request, center, form, notice, lang, status=400, embed=embed)

    address = client_address(request)
    phone = form.cleaned_data["parent_phone"]
    if public.over_limit(address=address, phone=phone):
        problem = _(
            "We have already received several enquiries from you. We will call you soon; "
            "if it is urgent, please call the center."
        )
        return _page(request, center, form, notice, lang, status=429, problem=problem, embed=embed)
    public.count_submission(address=address, phone=phone)

    by = public.website_user(center)
    consent = form.consent_data(address=address, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    try:
        lead = _create(form, center, consent, by=by)
    except ValidationError as error:
        _show_errors(form, error)
        return _page(request, center, form, notice, lang, status=400, embed=embed)
    except DuplicateEnquiry as error:
        if error.lead is not None:
            error.lead.add_note(body="Enquired again online.", by=by)
        lead = None
    except (PermissionDenied, LifecycleError):
        # The center deactivated its website user (or moved its role): its form is closed.
        logger.warning("Public enquiry for %s refused: the website user may not record it", center.code)
        problem = _("Online enquiries are closed for now. Please call the center.")
        return _page(request, center, form, notice, lang, status=503, problem=problem, embed=embed)
    if lead is None:  # enquired again: the same thanks, nothing said about the open lead
        request.session[THANKS_NAME] = form.cleaned_data["child_first_name"]
        return redirect(_thanks_url(center, lang, embed))
    _notify(lead)
    return redirect(_url("public_book", center, lang, public.booking_token(lead), embed=embed))


def _create(form: PublicEnquiryForm, center: Center, consent: dict, *, by) -> Lead:
    """The verb (its assignee: the center's automatic assignment, leads/assignment.py). A phone known under another spelling of the name
    ("Priya" / "Priya Sharma") is the same family: it keeps the known parent and the lead notes
    the name typed (the public page never says whose the number is)."""
    kwargs = form.enquiry_kwargs()
    try:
        return _create_once(center, kwargs, consent, by=by)
    except ValidationError as error:
        names = getattr(error, "error_dict", {}).get("parent.name", [])
        if not any(e.code == "name_differs" for e in names):
            raise
    kwargs["parent"]["same_parent"] = SAME_PARENT
    typed = f"Name given online: {kwargs['parent']['name']}."
    kwargs["remarks"] = f"{kwargs['remarks']}\n\n{typed}".strip()
    return _create_once(center, kwargs, consent, by=by)


def _create_once(center, kwargs, consent, *, by) -> Lead:
    # No assignee named: the center's rule picks one (never the website user; nobody: unassigned).
    return Lead.create_enquiry(center=center, **kwargs, consent=consent, by=by)


def _show_errors(form: PublicEnquiryForm, error: ValidationError) -> None:
    """The verb's refusals next to their fields, in the parent's words where we have them."""
    parent_words = {
        "parent.phone": _("Enter your mobile number with its digits, e.g. 98765 43210."),
        "consent": _("Please tick this box: without it we cannot keep your enquiry."),
        "consent.processing": _("Please tick this box: without it we cannot keep your enquiry."),
        "consent.notice_version": _("Our privacy notice has just changed: please read it again and tick the box."),
        "child.dob": _("Please check your child's date of birth."),
        "child.age": _("Enter an age between 0 and 18 years."),
        "program": _("Please choose another program."),
        "parent_expectations": _("Please choose again from the list."),
    }
    messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for key, texts in messages.items():
        field = form.field_for_error_key(key)
        text = parent_words.get(key)
        form.add_error(field, text if text else texts)


def _notify(lead: Lead) -> None:
    from insights.reminders import notify_online_enquiry

    try:
        notify_online_enquiry(lead)
    except Exception:  # the parent's enquiry is saved: a notification failure must not become a 500
        logger.exception("Notifying the assignee of %s failed", lead.enquiry_id)


@require_GET
def thanks(request: HttpRequest, code: str, *, embed: bool = False) -> HttpResponse:
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        context = {
            "center": center,
            "child_name": request.session.pop(THANKS_NAME, ""),
            "lang": lang,
            "embed": embed,
        }
        return _render(request, "leads/public_thanks.html", context)


# -- online trial booking ------------------------------------------------------------------------


def _full_sentence() -> str:
    return _("That session has just filled up: please pick another.")


def _booking_context(center: Center, lead: Lead, lang: str, token: str, embed: bool, **more) -> dict:
    return {
        "center": center,
        "lead": lead,
        "child_name": lead.child.first_name,
        "lang": lang,
        "token": token,
        "embed": embed,
        "book_url": _url("public_book", center, lang, token, embed=embed),
        "booking_url": _url("public_booking", center, lang, token, embed=embed),
        "change_url": _url("public_booking_change", center, lang, token, embed=embed),
        **more,
    }


def _invalid_link(request, center: Center, lang: str, embed: bool) -> HttpResponse:
    context = {
        "center": center,
        "lang": lang,
        "embed": embed,
        "enquire_url": _url("public_enquire", center, lang, embed=embed),
    }
    return _render(request, "leads/public_link_invalid.html", context, status=404)


def _is_open(visit: IntroVisit | None) -> bool:
    return visit is not None and visit.cancelled_at is None and not visit.outcome


def _session_choices(sessions: list[Session], center: Center) -> list[dict]:
    """What the radio list shows of each free session: its value, local time and seats."""
    return [
        {
            "value": s.value,
            "when": session_time(timezone.localtime(s.starts_at, center.tzinfo)),
            "batch": s.batch.name,
            "free": s.free,
            "id": f"session-{s.batch.pk}-{int(s.starts_at.timestamp())}",
        }
        for s in sessions
    ]


def _problem_of(error: ValidationError) -> str:
    """The verb's refusal of a picked session in the parent's words: a seat taken (or the session
    gone) since the page was shown, else a batch that cannot take the child any more."""
    keys = set(getattr(error, "error_dict", {}))
    if "scheduled_at" in keys or not keys:
        return _full_sentence()
    return _("That class cannot take your child any more: please pick another time.")


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str, token: str, *, embed: bool = False) -> HttpResponse:
    """The thank-you step of a new enquiry: pick a trial-class session, booked by the website user."""
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        lead = public.lead_for_token(token, center)
        if lead is None:
            return _invalid_link(request, center, lang, embed)
        if _is_open(public.current_visit(lead)):
            return redirect(_url("public_booking", center, lang, token, embed=embed))
        context = _booking_context(center, lead, lang, token, embed)
        if not public.may_book(lead):
            return _render(request, "leads/public_book.html", {**context, "closed": True})
        sessions = public.fitting_sessions(lead)
        form = PublicSessionForm(request.POST or None, sessions=sessions)
        status, problem = 200, ""
        if request.method == "POST":
            if form.is_valid():
                chosen = form.chosen()
                try:
                    visit = lead.schedule_intro_visit(
                        scheduled_at=chosen.starts_at, batch=chosen.batch, by=public.website_user(center)
                    )
                except ValidationError as error:
                    status, problem = 409, _problem_of(error)
                    sessions = public.fitting_sessions(lead)
                except LifecycleError:
                    # A double submit (the first one booked it), or the center moved the lead meanwhile.
                    return redirect(_url("public_booking", center, lang, token, embed=embed))
                except PermissionDenied:
                    logger.warning("Online booking for %s refused: the website user may not book", center.code)
                    return _render(request, "leads/public_book.html", {**context, "closed": True}, status=503)
                else:
                    _confirm_booking(request, visit, center, lang, moved=False)
                    return redirect(_url("public_booking", center, lang, token, embed=embed))
            else:
                status = 400
        offered = [s for s in sessions if s.free][: public.SESSIONS_LISTED]
        context.update(form=form, sessions=_session_choices(offered, center), problem=problem)
        return _render(request, "leads/public_book.html", context, status=status)


def _visit_state(visit: IntroVisit) -> str:
    """booked / started / done / cancelled: what the parent's page may still do with the visit."""
    if visit.cancelled_at:
        return "cancelled"
    ends = visit.scheduled_at + datetime.timedelta(minutes=visit.batch.duration_minutes)
    if visit.outcome or timezone.now() >= ends:
        return "done"
    if visit.has_started():
        return "started"
    return "booked"


def _visit_context(visit: IntroVisit, center: Center) -> dict:
    return {
        "visit": visit,
        "state": _visit_state(visit),
        "when": session_time(timezone.localtime(visit.scheduled_at, center.tzinfo)),
        "batch_name": visit.batch.name,
        "address": center.visit_address,
    }


@require_GET
def booking(request: HttpRequest, code: str, token: str, *, embed: bool = False) -> HttpResponse:
    """The parent's booked trial class (the confirmation page, and the link in their messages)."""
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        lead = public.lead_for_token(token, center)
        if lead is None:
            return _invalid_link(request, center, lang, embed)
        visit = public.current_visit(lead)
        if visit is None:
            return redirect(_url("public_book", center, lang, token, embed=embed))
        context = _booking_context(center, lead, lang, token, embed, **_visit_context(visit, center))
        context["may_book_again"] = context["state"] == "cancelled" and public.may_book(lead)
        return _render(request, "leads/public_booking.html", context)


@require_http_methods(["GET", "POST"])
def change_booking(request: HttpRequest, code: str, token: str, *, embed: bool = False) -> HttpResponse:
    """Move the booked trial class to another free session, or call it off."""
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        lead = public.lead_for_token(token, center)
        if lead is None:
            return _invalid_link(request, center, lang, embed)
        visit = public.current_visit(lead)
        back = _url("public_booking", center, lang, token, embed=embed)
        if visit is None or _visit_state(visit) != "booked":
            return redirect(back)  # that page says plainly what happened to the visit
        sessions = public.fitting_sessions(lead)
        action = request.POST.get("action")
        form = PublicSessionForm(request.POST if action == "reschedule" else None, sessions=sessions)
        cancel_form = PublicCancelForm(request.POST if action == "cancel" else None)
        status, problem = 200, ""
        by = public.website_user(center)
        if request.method == "POST":
            try:
                if action == "reschedule" and form.is_valid():
                    chosen = form.chosen()
                    try:
                        visit.reschedule(scheduled_at=chosen.starts_at, batch=chosen.batch, by=by)
                    except ValidationError as error:
                        status, problem = 409, _problem_of(error)
                        sessions = public.fitting_sessions(lead)
                    else:
                        _confirm_booking(request, visit, center, lang, moved=True)
                        return redirect(back)
                elif action == "cancel" and cancel_form.is_valid():
                    typed = cancel_form.cleaned_data["reason"].strip()
                    reason = f"Cancelled online by the parent: {typed}" if typed else "Cancelled online by the parent."
                    visit.cancel(reason=reason, by=by)
                    _confirm_cancel(request, visit, center, lang)
                    return redirect(back)
                else:
                    status = 400
            except LifecycleError:
                return redirect(back)  # a double submit, or the center changed the visit meanwhile
            except PermissionDenied:
                logger.warning("Online booking change for %s refused: the website user may not", center.code)
                status, problem = 503, _("Online changes are closed for now. Please call the center.")
        offered = [s for s in sessions if s.free and (s.batch.pk, s.starts_at) != (visit.batch_id, visit.scheduled_at)]
        context = _booking_context(
            center,
            lead,
            lang,
            token,
            embed,
            form=form,
            cancel_form=cancel_form,
            sessions=_session_choices(offered[: public.SESSIONS_LISTED], center),
            problem=problem,
            **_visit_context(visit, center),
        )
        return _render(request, "leads/public_booking_change.html", context, status=status)


# -- the parent's messages -------------------------------------------------------------------------


def _manage_link(request: HttpRequest, visit: IntroVisit, center: Center, lang: str) -> str:
    """A freshly signed link to the booking page (outside the iframe: it is read in a mailbox)."""
    return request.build_absolute_uri(_url("public_booking", center, lang, public.booking_token(visit.lead)))


def _confirm_booking(request: HttpRequest, visit: IntroVisit, center: Center, lang: str, *, moved: bool) -> None:
    """Email and SMS with the time, the address and the manage link; once per visit and time (the
    key), and never a reason for the parent's page to fail."""
    try:
        facts = {
            "child": visit.lead.child.first_name,
            "center": center.name,
            "when": session_time(timezone.localtime(visit.scheduled_at, center.tzinfo)),
            "address": center.visit_address,
            "link": _manage_link(request, visit, center, lang),
        }
        if moved:
            title = _("Trial class moved: %(center)s") % facts
            body = _(
                "%(child)s's free trial class at %(center)s is now on %(when)s. Address: %(address)s. "
                "To reschedule or cancel: %(link)s"
            )
        else:
            title = _("Trial class booked: %(center)s") % facts
            body = _(
                "%(child)s's free trial class at %(center)s is booked for %(when)s. Address: %(address)s. "
                "To reschedule or cancel: %(link)s"
            )
        key = f"visit-booked-online:v{visit.pk}:{int(visit.scheduled_at.timestamp())}"
        public.send_visit_message(visit, key=key, title=title, body=body % facts)
    except Exception:
        logger.exception("Confirming intro visit %s to the parent failed", visit.pk)


def _confirm_cancel(request: HttpRequest, visit: IntroVisit, center: Center, lang: str) -> None:
    try:
        facts = {
            "child": visit.lead.child.first_name,
            "center": center.name,
            "when": session_time(timezone.localtime(visit.scheduled_at, center.tzinfo)),
        }
        title = _("Trial class cancelled: %(center)s") % facts
        body = _(
            "%(child)s's free trial class at %(center)s on %(when)s is cancelled. We will call you to find another time."
        )
        public.send_visit_message(visit, key=f"visit-cancelled-online:v{visit.pk}", title=title, body=body % facts)
    except Exception:
        logger.exception("Telling the parent of intro visit %s's cancellation failed", visit.pk)


enquire_embed = embeddable(enquire)
thanks_embed = embeddable(thanks)
book_embed = embeddable(book)
booking_embed = embeddable(booking)
change_booking_embed = embeddable(change_booking)
