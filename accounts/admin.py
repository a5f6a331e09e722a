"""Admin for centers and users, scoped: a center admin sees and manages only its centers' people."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import CENTER_ROLES, AccessAction, AccessLog, Center, CenterMembership, Role, User
from accounts.views import log_password_change
from leads.models import AssignmentRoute


class ScopedAdmin(admin.ModelAdmin):
    """Base for every admin of tenant data.

    `center_path` is the lookup from the model to its Center. Lists, objects and foreign-key
    choices are limited to the user's centers; an object of another center is a 403.
    Center admins get view/add/change on the models listed for them; delete is off unless allowed.
    """

    center_path = "center"
    allow_delete = False
    center_admin_can_add = True
    center_admin_can_change = True

    def _centers(self, request):
        return Center.objects.for_user(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_super_admin:
            return qs
        return qs.filter(**{f"{self.center_path}__in": self._centers(request)}).distinct()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_super_admin:
            # Tell "not yours" (403, the spec's rule) from "not there" (None -> admin's 404 path).
            model = self.model
            field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
            try:
                exists = model._default_manager.filter(**{field.name: field.to_python(object_id)}).exists()
            except Exception:
                exists = False
            if exists:
                raise PermissionDenied("This belongs to another center.")
        return obj

    def _is_admin(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_super_admin or user.is_center_admin)

    def has_module_permission(self, request):
        return self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_add_permission(self, request):
        return self._is_admin(request) and (request.user.is_super_admin or self.center_admin_can_add)

    def has_change_permission(self, request, obj=None):
        return self._is_admin(request) and (request.user.is_super_admin or self.center_admin_can_change)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and self._is_admin(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from leads.models import Batch, Child, Lead, Program

        user = request.user
        related = db_field.related_model
        if related is Center:
            kwargs["queryset"] = self._centers(request)
        elif related is User:
            scope = Center.objects.all() if user.is_super_admin else self._centers(request)
            if db_field.name == "trainer":  # trainers of those centers (roles are per center)
                qs = User.objects.in_centers(scope, roles=[Role.TRAINER])
            else:
                qs = User.objects.all() if user.is_super_admin else User.objects.in_centers(scope)
            kwargs["queryset"] = qs
        elif related in (Batch, Child, Lead, Program):
            kwargs["queryset"] = related.objects.for_user(user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CenterInline(admin.TabularInline):
    """A table on the center's page that only that center's admins (and super admins) may change."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (request.user.is_super_admin or request.user.is_center_admin)

    def has_change_permission(self, request, obj=None):
        return obj is None or request.user.administers(obj)

    def has_add_permission(self, request, obj=None):
        return obj is None or request.user.administers(obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None or request.user.administers(obj)


class AssignmentRouteInline(CenterInline):
    """The by-source / by-program table of automatic assignment (leads/assignment.py)."""

    model = AssignmentRoute
    fields = ["source", "program", "assign_to"]
    verbose_name = "assignment route"
    verbose_name_plural = "Automatic assignment: by source or by program (others go round-robin)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        from leads.models import Program

        centers = Center.objects.for_user(request.user)
        if db_field.name == "assign_to":
            kwargs["queryset"] = User.objects.in_centers(centers, roles=[Role.COUNSELOR, Role.CENTER_ADMIN])
        elif db_field.name == "program":
            kwargs["queryset"] = Program.objects.for_user(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipInline(CenterInline):
    """The center's counselors and admins: their load (open leads here) and who is away. People are
    added, removed and given roles on their own page (Users), where the access log records it."""

    model = CenterMembership
    fk_name = "content_object"
    fields = ["user", "role", "open_leads", "away_until"]
    readonly_fields = ["user", "role", "open_leads"]
    can_delete = False
    verbose_name = "counselor or admin"
    verbose_name_plural = "Staff: open leads and who is away"

    def get_queryset(self, request):
        from leads.assignment import open_leads_by_member, staff_memberships

        qs = super().get_queryset(request)
        scoped = staff_memberships(Center.objects.for_user(request.user).values("pk"))
        return open_leads_by_member(qs.filter(pk__in=scoped.values("pk"))).select_related("user")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Open leads here")
    def open_leads(self, obj) -> int:
        return getattr(obj, "open_leads", 0)


@admin.register(Center)
class CenterAdmin(ScopedAdmin):
    center_path = "pk"
    list_display = ["code", "name", "city", "timezone", "follow_up_interval_days", "assignment_mode"]
    search_fields = ["code", "name", "city"]
    center_admin_can_add = False
    inlines = [MembershipInline, AssignmentRouteInline]

    def get_inlines(self, request, obj):
        # A new center has no staff yet (people join it from their own page) nor programs to route.
        return self.inlines if obj is not None else []

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs if request.user.is_super_admin else qs.filter(pk__in=self._centers(request))

    def has_change_permission(self, request, obj=None):
        # Only its own admins change a center (its assignment rule, retention...): an admin of
        # another center who also counsels here sees it read-only.
        return super().has_change_permission(request, obj) and (obj is None or request.user.administers(obj))

    def get_readonly_fields(self, request, obj=None):
        # The code is printed on every enquiry ID: only super admins may change it.
        return [] if request.user.is_super_admin else ["code"]

    def save_model(self, request, obj, form, change):
        from leads.models import ExpectationChoice

        super().save_model(request, obj, form, change)
        if not change:  # a new center starts with the usual "what the parents expect" list
            ExpectationChoice.seed(obj)


class UserForm(forms.ModelForm):
    centers = forms.ModelMultipleChoiceField(
        queryset=Center.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Centers this person works in (their data is all they see).",
    )

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "phone", "role", "is_active"]


class UserAddForm(UserCreationForm):
    centers = UserForm.base_fields["centers"]

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


class UserAdmin(ScopedAdmin, DjangoUserAdmin):
    form = UserForm
    add_form = UserAddForm
    list_display = ["username", "get_full_name", "role", "is_active", "center_codes"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering = ["username"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email", "phone"]}),
        ("Access", {"fields": ["role", "centers", "is_active"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "password1", "password2"]}),
        ("Person", {"fields": ["first_name", "last_name", "email", "phone"]}),
        ("Access", {"fields": ["role", "centers"]}),
    ]
    readonly_fields = ["password"]
    actions = ["sign_out_everywhere"]

    @admin.action(description="Log out everywhere (end every session of the selected people)", permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        done, refused = [], []
        for user in queryset:
            try:
                user.sign_out_everywhere(by=request.user, request=request)
            except PermissionDenied:
                refused.append(str(user))
            else:
                done.append(str(user))
        if done:
            self.message_user(
                request, f"Signed out everywhere: {', '.join(done)}. Each must log in again.", messages.SUCCESS
            )
        if refused:
            self.message_user(
                request,
                f"Not signed out: {', '.join(refused)} also work in a center you do not administer.",
                messages.ERROR,
            )

    # Staff are deactivated ("Active" off), never deleted: status history and the access log keep
    # their actors, and the database refuses to null them (the history triggers). Nobody, super
    # admins included, deletes a user here; the bulk "delete selected" action is gone with it.
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_super_admin:
            return qs
        return qs.filter(pk__in=User.objects.in_centers(self._centers(request)).values("pk")).exclude(
            role=Role.SUPER_ADMIN
        )

    @admin.display(description="Centers")
    def center_codes(self, obj: User) -> str:
        return ", ".join(obj.centers().values_list("code", flat=True)) or "—"

    def get_fieldsets(self, request, obj=None):
        # One "role in <center>" choice per center the editor runs: roles belong to memberships.
        fieldsets = list(super().get_fieldsets(request, obj))
        names = [f"role_in_{center.pk}" for center in self._centers(request)]
        return [*fieldsets, ("Role in each center", {"fields": names})] if names else fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The model form gets only real fields; the per-center role choices are added below.
        base = self.add_fieldsets if obj is None else self.fieldsets
        kwargs["fields"] = [f for _, opts in base for f in opts["fields"] if f != "password" or obj is None]
        form_class = super().get_form(request, obj, change=change, **kwargs)
        centers = self._centers(request)
        roles = [(v, label) for v, label in Role.choices if request.user.is_super_admin or v != Role.SUPER_ADMIN]

        class ScopedUserForm(form_class):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.fields["centers"] = UserForm.base_fields["centers"].__class__(
                    queryset=centers,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=UserForm.base_fields["centers"].help_text,
                )
                if "role" in self.fields:
                    self.fields["role"].choices = roles
                    self.fields["role"].label = "Default role"
                    self.fields[
                        "role"
                    ].help_text = "Their role in a center unless set below; Super admin is franchise-wide."
                if self.instance.pk:
                    self.initial["centers"] = list(self.instance.centers().filter(pk__in=centers))
                for center in centers:
                    self.fields[f"role_in_{center.pk}"] = forms.ChoiceField(
                        label=f"Role in {center.code}",
                        choices=[("", "Their default role")] + [(r, Role(r).label) for r in CENTER_ROLES],
                        required=False,
                        help_text="Used when they work in this center (tick it above).",
                    )
                    if self.instance.pk and (role := self.instance.role_in(center)) in CENTER_ROLES:
                        self.initial[f"role_in_{center.pk}"] = role

            def clean_role(self):
                role = self.cleaned_data["role"]
                if role == Role.SUPER_ADMIN and not request.user.is_super_admin:
                    raise forms.ValidationError("Only a super admin can make someone a super admin.")
                if (
                    role == Role.CENTER_ADMIN
                    and role != self.initial.get("role")
                    and not request.user.may_manage(self.instance)
                ):
                    raise forms.ValidationError("Only an admin of all of this person's centers can make them an admin.")
                return role

        return ScopedUserForm

    #: What a center admin may not touch on a person who also works in a center they do not run.
    PERSON_FIELDS = ["username", "password", "first_name", "last_name", "email", "phone", "role", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not request.user.may_manage(obj):
            return self.PERSON_FIELDS
        return super().get_readonly_fields(request, obj)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, id)
        if user is not None and not request.user.may_manage(user):
            raise PermissionDenied("This person also works in a center you do not administer.")
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302 and user is not None:
            log_password_change(request, user, by=request.user, detail="set in admin")
        return response

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            old_role = User.objects.filter(pk=obj.pk).values_list("role", flat=True).first() if change else None
            if change and not request.user.may_manage(obj):
                # Memberships only: reload the person so nothing else can be written.
                obj.refresh_from_db()
            else:
                super().save_model(request, obj, form, change)
            if not change:
                AccessLog.record(
                    request, action=AccessAction.STAFF, object_type="user", object_id=obj.pk, detail="created"
                )
                AccessLog.record(request, action=AccessAction.PASSWORD, object_type="user", object_id=obj.pk)
            if old_role is not None and old_role != obj.role or not change:
                AccessLog.record(
                    request, action=AccessAction.STAFF, object_type="user", object_id=obj.pk, detail=f"role {obj.role}"
                )
            if change and "is_active" in form.changed_data:
                AccessLog.record(
                    request,
                    action=AccessAction.STAFF,
                    object_type="user",
                    object_id=obj.pk,
                    detail="activated" if obj.is_active else "deactivated",
                )
            chosen = set(form.cleaned_data.get("centers") or [])
            role_changed = old_role is not None and old_role != obj.role and obj.role in CENTER_ROLES
            for center in self._centers(request):
                if not request.user.may_manage_memberships_of(obj, center):
                    continue
                wanted = form.cleaned_data.get(f"role_in_{center.pk}") or ""
                if not wanted and role_changed:
                    wanted = obj.role  # the default role changed: it becomes the role here too
                if wanted and not request.user.may_set_role(obj, center, wanted):
                    messages.error(
                        request,
                        f"Not changed in {center.code}: only an admin of all of this person's centers can make them an admin.",
                    )
                    wanted = ""
                if center in chosen and not obj.works_in(center):
                    obj.add_to_center(center, role=wanted or None)
                    detail = f"added to center {center.pk} as {obj.role_in(center)}"
                elif center not in chosen and obj.works_in(center):
                    obj.remove_from_center(center)
                    detail = f"removed from center {center.pk}"
                elif center in chosen and wanted and wanted != obj.role_in(center):
                    obj.set_role_in(center, wanted)
                    detail = f"role in center {center.pk}: {wanted}"
                else:
                    continue
                AccessLog.record(
                    request,
                    action=AccessAction.STAFF,
                    object_type="user",
                    object_id=obj.pk,
                    center_id=center.pk,
                    detail=detail,
                )

    def save_related(self, request, form, formsets, change):
        # `centers` is not a model relation (membership lives in guardian), so nothing else to save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def get_object(self, request, object_id, from_field=None):
        return ScopedAdmin.get_object(self, request, object_id, from_field)


@admin.register(AccessLog)
class AccessLogAdmin(ScopedAdmin):
    """Who looked at, exported or changed what: browse and filter, never add, change or delete.

    A center admin sees the rows of the centers they administer (ScopedAdmin's scoping); rows
    without a center (sign-in, a super admin's staff changes) are for super admins only.
    "Everything about one family": search its id, or `?family_id=42`.
    """

    list_display = ["at", "user", "action", "object", "family", "center", "address"]
    list_filter = [
        "action",
        ("at", admin.DateFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        ("center", admin.RelatedOnlyFieldListFilter),
    ]
    date_hierarchy = "at"
    search_fields = ["=family_id", "=object_id"]
    search_help_text = "A family id or an object id (lead, user)."
    list_select_related = ["user", "center"]
    list_per_page = 100
    show_full_result_count = False  # a year of rows: no second COUNT(*) over the whole table
    fields = ["at", "user", "action", "object_type", "object_id", "family_id", "center", "address", "detail"]
    readonly_fields = fields

    def get_queryset(self, request):
        # ScopedAdmin's scoping without its DISTINCT: a row has one center, so the filter cannot
        # repeat a row, and DISTINCT over a year of rows would cost every page.
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs if request.user.is_super_admin else qs.filter(center__in=self._centers(request))

    @admin.display(description="Object", ordering="object_type")
    def object(self, obj: AccessLog) -> str:
        return f"{obj.object_type} {obj.object_id}".strip()

    @admin.display(description="Family", ordering="family_id")
    def family(self, obj: AccessLog) -> int | None:
        return obj.family_id

    # Append-only: nobody, super admins included, adds, edits or deletes a row here.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(User, UserAdmin)
admin.site.site_header = "Leads CRM administration"
admin.site.site_title = "Leads CRM admin"
admin.site.index_title = "Centers, people, batches and leads"
