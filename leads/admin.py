"""Admin for center admins: scoped lists, lead pages with history, status moves only as actions."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.admin import ScopedAdmin
from accounts.models import Center, Role, User
from leads.access import log_lead_change, log_lead_view
from leads.forms import CloseForm, ConvertForm
from leads.models import (
    Batch,
    Child,
    Consent,
    Enrollment,
    ExpectationChoice,
    FamilyLink,
    FollowUp,
    IntakeItem,
    IntakeSource,
    IntakeStatus,
    IntroVisit,
    Lead,
    LeadNote,
    LeadStatusChange,
    LifecycleError,
    Parent,
    PrivacyNotice,
    Program,
)
from leads.templatetags.crm import center_dt

#: Center filter listing only the centers present in the (already scoped) list.
CENTER_FILTER = ("center", admin.RelatedOnlyFieldListFilter)


class ReadOnlyInline(admin.TabularInline):
    """History-like rows: shown on the lead page, changed only through the lifecycle."""

    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_super_admin or request.user.is_center_admin


class IntroVisitInline(ReadOnlyInline):
    model = IntroVisit
    fields = ["scheduled_at", "batch", "trainer", "attended_at", "outcome", "outcome_notes", "cancelled_at"]
    readonly_fields = fields


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fk_name = "lead"
    fields = ["scheduled_local", "status", "outcome", "assigned_to", "notes", "completed_at"]
    readonly_fields = fields

    @admin.display(description="Scheduled (center time)")
    def scheduled_local(self, obj):
        return center_dt(obj.scheduled_date, obj.lead.center)


class StatusHistoryInline(ReadOnlyInline):
    model = LeadStatusChange
    fields = ["at", "from_status", "to_status", "action", "actor", "note"]
    readonly_fields = fields
    verbose_name_plural = "status history"


class NoteInline(ReadOnlyInline):
    model = LeadNote
    fields = ["created_at", "author", "body"]
    readonly_fields = fields


class AssigneeFilter(admin.SimpleListFilter):
    """Assignee choices limited to people of the admin's centers (the stock filter lists everyone)."""

    title = "assignee"
    parameter_name = "assigned_to"

    def lookups(self, request, model_admin):
        centers = Center.objects.all() if request.user.is_super_admin else request.user.centers()
        qs = User.objects.in_centers(centers, roles=[Role.COUNSELOR, Role.CENTER_ADMIN])
        return [(u.pk, str(u)) for u in qs]

    def queryset(self, request, queryset):
        return queryset.filter(assigned_to_id=self.value()) if self.value() else queryset


class LeadAdminForm(forms.ModelForm):
    parent_expectations = forms.MultipleChoiceField(choices=(), widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = Lead
        fields = ["source", "assigned_to", "school", "preferred_schedule", "parent_expectations", "discovery_notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the lead's center's own list (and any retired choice the lead has)
            self.fields["parent_expectations"].choices = ExpectationChoice.choices_for(
                self.instance.center, keep=self.instance.parent_expectations or ()
            )


@admin.register(ExpectationChoice)
class ExpectationChoiceAdmin(ScopedAdmin):
    """Each center's "what the parents expect" list: add one here, no code change needed."""

    list_display = ["label", "code", "center", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = [CENTER_FILTER, "active"]
    search_fields = ["label", "code"]
    list_select_related = ["center"]

    def get_readonly_fields(self, request, obj=None):
        # The code is stored on leads: changing it would orphan their answers (rename the label).
        return ["code", "center"] if obj is not None else []


@admin.register(Lead)
class LeadAdmin(ScopedAdmin):
    form = LeadAdminForm
    list_display = ["enquiry_id", "child", "status", "source", "assigned_to", "center", "created_at"]
    list_filter = ["status", "source", AssigneeFilter, "created_at", CENTER_FILTER]
    list_select_related = ["child", "assigned_to", "center"]
    search_fields = [
        "enquiry_id",
        "child__first_name",
        "child__last_name",
        "child__parents__name",
        "child__parents__phone",
    ]
    date_hierarchy = "created_at"
    fields = [
        "enquiry_id",
        "center",
        "child",
        "status",
        "source",
        "assigned_to",
        "school",
        "preferred_schedule",
        "parent_expectations",
        "discovery_notes",
        "discovery_completed_at",
        "closed_reason_category",
        "closed_reason",
        "closed_at",
        "enrollment",
        "converted_at",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
    ]
    # Everything but the plain details the form edits (through Lead.update_details).
    readonly_fields = [name for name in fields if name not in LeadAdminForm.Meta.fields]
    inlines = [StatusHistoryInline, IntroVisitInline, FollowUpInline, NoteInline]
    actions = ["close_leads", "reopen_leads", "convert_leads"]
    center_admin_can_add = False  # enquiries come in through the enquiry form or the API
    # No delete permission (ScopedAdmin.allow_delete is off), so admin offers no delete action either.

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # Only the plain details are editable here; the method checks role and center.
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        if fields:
            obj.refresh_from_db()
            obj.update_details(by=request.user, **fields)
            log_lead_change(request, obj, f"admin edit {' '.join(sorted(fields))}")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and request.method == "GET":
            log_lead_view(request, obj, detail="admin lead")  # admin is a door to the family too
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def _run(self, request, leads, verb, done: str) -> None:
        ok, failed = 0, []
        for lead in leads:
            try:
                verb(lead)
                ok += 1
            except (LifecycleError, ValidationError, PermissionDenied) as error:
                message = error.message if isinstance(error, LifecycleError) else "; ".join(_messages(error))
                failed.append(f"{lead.enquiry_id}: {message}")
            else:
                log_lead_change(request, lead, f"admin {done}")
        if ok:
            self.message_user(request, f"{ok} lead(s) {done}.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)

    def _with_form(self, request, queryset, *, action: str, form_class, build, verb, done, intro, button):
        """An action that asks for input first (the verb's own form), then runs the verb per lead."""
        if "apply" in request.POST:
            form = build(request.POST)
            if form.is_valid():
                self._run(request, queryset, lambda lead: verb(lead, form.cleaned_data), done)
                return None
        else:
            form = build(None)
        return TemplateResponse(
            request,
            "admin/leads/lead_action.html",
            {
                **self.admin_site.each_context(request),
                "title": button,
                "leads": queryset,
                "form": form,
                "opts": self.model._meta,
                "action": action,
                "intro": intro,
                "button": button,
            },
        )

    @admin.action(description="Close selected leads (asks for a reason)")
    def close_leads(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            action="close_leads",
            form_class=CloseForm,
            build=lambda data: CloseForm(data),
            verb=lambda lead, data: lead.close(reason=data["reason"], category=data["category"], by=request.user),
            done="closed",
            intro="Close these leads? Their pending follow-ups and scheduled intro visits are cancelled; "
            "the history is kept.",
            button="Close leads",
        )

    @admin.action(description="Reopen selected closed leads")
    def reopen_leads(self, request, queryset):
        self._run(request, queryset, lambda lead: lead.reopen(by=request.user), "reopened")

    @admin.action(description="Enroll and convert selected leads (asks for the batch and first class)")
    def convert_leads(self, request, queryset):
        centers = {lead.center_id for lead in queryset}
        batches = list(Batch.objects.filter(center_id__in=centers, is_active=True).select_related("center"))
        return self._with_form(
            request,
            queryset,
            action="convert_leads",
            form_class=ConvertForm,
            build=lambda data: ConvertForm(data, batches=batches),
            verb=lambda lead, data: lead.enroll_and_convert(
                batch=data["batch"],
                start_date=data["start_date"],
                plan=data["plan"],
                notes=data["notes"],
                by=request.user,
            ),
            done="converted",
            intro="Enroll these children in the batch and convert their leads (each in one step; "
            "a lead the rules refuse is listed with the reason).",
            button="Enroll and convert",
        )

    def get_search_results(self, request, queryset, search_term):
        # The app's one search (enquiry ID, names, phone digits, email, school), not admin's own.
        return queryset.search(search_term), False


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items()]
    return error.messages


class FamilyLinkInline(admin.TabularInline):
    model = FamilyLink
    extra = 0
    autocomplete_fields = ["parent"]


@admin.register(Child)
class ChildAdmin(ScopedAdmin):
    list_display = ["first_name", "last_name", "dob", "gender", "center"]
    search_fields = ["first_name", "last_name", "parents__name", "parents__phone"]
    list_filter = ["gender", CENTER_FILTER]
    inlines = [FamilyLinkInline]


@admin.register(Parent)
class ParentAdmin(ScopedAdmin):
    list_display = ["name", "phone", "email", "center"]
    search_fields = ["name", "phone", "email"]
    list_filter = [CENTER_FILTER]


@admin.register(Program)
class ProgramAdmin(ScopedAdmin):
    """What each center teaches; a center admin adds and renames their own center's programs."""

    list_display = ["name", "center", "is_active"]
    list_filter = [CENTER_FILTER, "is_active"]
    search_fields = ["name"]


@admin.register(Batch)
class BatchAdmin(ScopedAdmin):
    list_display = ["name", "program", "center", "weekday", "start_time", "capacity", "trainer", "is_active"]
    list_filter = [CENTER_FILTER, ("program", admin.RelatedOnlyFieldListFilter), "weekday", "is_active"]
    search_fields = ["name"]


@admin.register(Enrollment)
class EnrollmentAdmin(ScopedAdmin):
    list_display = ["child", "center", "batch", "start_date", "plan"]
    list_filter = [CENTER_FILTER, ("batch", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["child__first_name", "child__last_name"]
    # Enrollments are made by converting a lead (Lead.enroll_and_convert, on every door), never
    # here: an enrollment added by hand would skip the capacity, date and permission rules.
    readonly_fields = ["child", "center", "batch", "start_date", "created_by", "created_at"]
    center_admin_can_add = False

    def has_add_permission(self, request):
        return False


@admin.register(FollowUp)
class FollowUpAdmin(ScopedAdmin):
    center_path = "lead__center"
    list_display = ["lead", "scheduled_local", "status", "outcome", "assigned_to"]
    list_filter = ["status", "outcome", "scheduled_date"]
    list_select_related = ["lead", "lead__child", "lead__center", "assigned_to"]

    @admin.display(description="Scheduled (center time)", ordering="scheduled_date")
    def scheduled_local(self, obj):
        return center_dt(obj.scheduled_date, obj.lead.center)

    search_fields = ["lead__enquiry_id", "lead__child__first_name"]
    center_admin_can_add = False
    center_admin_can_change = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(IntroVisit)
class IntroVisitAdmin(FollowUpAdmin):
    list_display = ["lead", "scheduled_at", "batch", "trainer", "outcome", "attended_at"]
    list_filter = ["outcome", "scheduled_at"]
    list_select_related = ["lead", "lead__child", "batch", "trainer"]


class PrivacyNoticeForm(forms.ModelForm):
    class Meta:
        model = PrivacyNotice
        fields = ["center", "text"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        if not data.get("center") and not (self.user and self.user.is_super_admin):
            self.add_error("center", "Choose your center: only a super admin publishes the franchise's notice.")
        return data


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(ScopedAdmin):
    """Versioned notices: "add" publishes a new version; a published text is never edited or deleted."""

    form = PrivacyNoticeForm
    list_display = ["__str__", "center", "version", "published_at", "published_by"]
    list_filter = [CENTER_FILTER]
    list_select_related = ["center", "published_by"]
    readonly_fields = ["version", "published_at", "published_by"]
    center_admin_can_change = False

    def get_queryset(self, request):
        qs = PrivacyNotice.objects.for_user(request.user)
        return qs.select_related("center", "published_by")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def has_change_permission(self, request, obj=None):
        return False  # a new text is a new version (add), so what parents agreed to stays readable

    def save_model(self, request, obj, form, change):
        published = PrivacyNotice.publish(center=obj.center, text=obj.text, by=request.user)
        obj.pk, obj.version, obj.published_at, obj.published_by = (
            published.pk,
            published.version,
            published.published_at,
            published.published_by,
        )


@admin.register(Consent)
class ConsentAdmin(ScopedAdmin):
    """Who agreed to what, when and how: read only (recorded on the lead page, the enquiry and the API)."""

    center_path = "parent__center"
    list_display = [
        "parent",
        "method",
        "processing",
        "reminders",
        "marketing",
        "obtained_at",
        "obtained_by",
        "withdrawn_at",
    ]
    list_filter = ["method", "reminders", "marketing", ("withdrawn_at", admin.EmptyFieldListFilter)]
    list_select_related = ["parent", "obtained_by"]
    search_fields = ["parent__name"]
    date_hierarchy = "obtained_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class IntakeSourceForm(forms.ModelForm):
    class Meta:
        model = IntakeSource
        fields = ["center", "kind", "secret", "verify_token", "assign_to", "active"]


@admin.register(IntakeSource)
class IntakeSourceAdmin(ScopedAdmin):
    """Who may post leads to a center (docs/intake.md): one source per platform, with its secret."""

    form = IntakeSourceForm
    list_display = ["__str__", "center", "kind", "assign_to", "active", "webhook_url", "created_at"]
    list_filter = [CENTER_FILTER, "kind", "active"]
    list_select_related = ["center", "assign_to"]
    readonly_fields = ["webhook_url", "created_at"]

    @admin.display(description="Webhook URL (path)")
    def webhook_url(self, obj):
        return obj.path if obj.pk else "-"


@admin.register(IntakeItem)
class IntakeItemAdmin(ScopedAdmin):
    """The intake inbox: every lead a webhook delivered; NEEDS_REVIEW ones wait for a counselor."""

    center_path = "source__center"
    list_display = ["received_at", "source", "external_id", "status", "lead", "short_error"]
    list_filter = ["status", "source__kind", ("source__center", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["source", "source__center", "lead"]
    search_fields = ["external_id", "error"]
    date_hierarchy = "received_at"
    fields = [
        "source",
        "external_id",
        "status",
        "error",
        "what_we_read",
        "pretty_payload",
        "create_by_hand",
        "lead",
        "received_at",
        "resolved_at",
        "resolved_by",
    ]
    raw_id_fields = ["lead"]
    center_admin_can_add = False

    def has_add_permission(self, request):
        return False  # items come from the webhooks only

    def get_readonly_fields(self, request, obj=None):
        editable = {"lead"} if obj is not None and obj.status == IntakeStatus.NEEDS_REVIEW else set()
        return [name for name in self.fields if name not in editable]

    @admin.display(description="Error")
    def short_error(self, obj):
        return obj.error[:120]

    @admin.display(description="Payload")
    def pretty_payload(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False, default=str))

    @admin.display(description="What we read")
    def what_we_read(self, obj):
        from leads.intake import read_fields_of

        fields = read_fields_of(obj)
        if not fields:
            return "Nothing we could read: see the payload."
        rows = format_html_join("", "<li>{}: {}</li>", ((k, v) for k, v in fields.items() if k != "consent"))
        return format_html("<ul>{}</ul>", rows)

    @admin.display(description="Create the enquiry by hand")
    def create_by_hand(self, obj):
        if obj.status != IntakeStatus.NEEDS_REVIEW:
            return "-"
        return format_html(
            '<a href="{}">New enquiry</a> (call the parent, record their consent), then choose that lead below '
            "and save: the item is marked as created.",
            reverse("leads:enquiry_new"),
        )

    def save_model(self, request, obj, form, change):
        if "lead" in form.changed_data and obj.lead is not None:
            lead = obj.lead
            obj.refresh_from_db()
            obj.resolve(lead=lead, by=request.user)
