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
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Center
from accounts.net import client_address
from leads import public
from leads.forms import PublicEnquiryForm
from leads.models import ExpectationChoice, Lead, LifecycleError, PrivacyNotice, Program
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


def _page(request, center, form, notice, lang, *, status=200, problem: str = "") -> HttpResponse:
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
        "languages": settings.LANGUAGES,
    }
    return render(request, "leads/public_enquiry.html", context, status=status)


def _thanks_url(center: Center, lang: str) -> str:
    return f"{reverse('leads:public_thanks', args=[center.code])}?lang={lang}"


@require_http_methods(["GET", "POST"])
def enquire(request: HttpRequest, code: str) -> HttpResponse:
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        notice = PrivacyNotice.current_for(center)
        if request.method == "GET":
            return _page(request, center, _form(center, notice=notice), notice, lang)
        return _submit(request, center, notice, lang)


def _submit(request: HttpRequest, center: Center, notice: PrivacyNotice, lang: str) -> HttpResponse:
    too_big = _("Your message is too long. Please shorten the remarks and send it again.")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.PUBLIC_ENQUIRY_MAX_BYTES:
        return _page(request, center, _form(center, notice=notice), notice, lang, status=413, problem=too_big)
    form = _form(center, request.POST, notice=notice)
    if request.POST.get("website"):
        # The honeypot: only a bot fills in a field nobody can see. It gets the ordinary thank-you page.
        logger.info("Public enquiry for %s refused: honeypot filled in", center.code)
        return redirect(_thanks_url(center, lang))
    match public.token_problem(request.POST.get("started", ""), center):
        case "fast":
            problem = _("That was very quick! Please check your details and press “Send” again.")
            return _page(request, center, form, notice, lang, status=400, problem=problem)
        case "old" | "bad":
            problem = _("This page was open for a long time. Please check your details and press “Send” again.")
            return _page(request, center, form, notice, lang, status=400, problem=problem)
    if not form.is_valid():
        return _page(request, center, form, notice, lang, status=400)

    address = client_address(request)
    phone = form.cleaned_data["parent_phone"]
    if public.over_limit(address=address, phone=phone):
        problem = _(
            "We have already received several enquiries from you. We will call you soon; "
            "if it is urgent, please call the center."
        )
        return _page(request, center, form, notice, lang, status=429, problem=problem)
    public.count_submission(address=address, phone=phone)

    by = public.website_user(center)
    consent = form.consent_data(address=address, user_agent=request.META.get("HTTP_USER_AGENT", ""))
    try:
        lead = _create(form, center, consent, by=by)
    except ValidationError as error:
        _show_errors(form, error)
        return _page(request, center, form, notice, lang, status=400)
    except DuplicateEnquiry as error:
        if error.lead is not None:
            error.lead.add_note(body="Enquired again online.", by=by)
        lead = None
    except (PermissionDenied, LifecycleError):
        # The center deactivated its website user (or moved its role): its form is closed.
        logger.warning("Public enquiry for %s refused: the website user may not record it", center.code)
        problem = _("Online enquiries are closed for now. Please call the center.")
        return _page(request, center, form, notice, lang, status=503, problem=problem)
    if lead is not None:
        _notify(lead)
    request.session[THANKS_NAME] = form.cleaned_data["child_first_name"]
    return redirect(_thanks_url(center, lang))


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
def thanks(request: HttpRequest, code: str) -> HttpResponse:
    center = _center(code)
    lang = _language(request)
    with translation.override(lang):
        context = {
            "center": center,
            "child_name": request.session.pop(THANKS_NAME, ""),
            "lang": lang,
            "languages": settings.LANGUAGES,
        }
        return render(request, "leads/public_thanks.html", context)
