"""The leads list's filters, shared with the board: every choice and row scoped to the user.

    LeadFilter(request.GET, request=request)          # base: the user's leads
    LeadFilter(request.GET, request=request, queryset=Lead.objects.for_user(user).open())

Without a `center` parameter the center chosen in the switcher applies (see views/session.py).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import DateRangeField, RangeField

from accounts.models import Role, User
from leads import params
from leads.models import Lead, LeadSource, LeadStatus, Program


class BoundedDateRangeField(DateRangeField):
    """From and to dates within 2000-2100: a date of year 1 overflows once made a datetime in the timezone."""

    def __init__(self, *args, **kwargs):
        RangeField.__init__(self, (params.DateField(), params.DateField()), *args, **kwargs)


class DateRangeFilter(django_filters.DateFromToRangeFilter):
    field_class = BoundedDateRangeField


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search", max_length=100)
    status = django_filters.MultipleChoiceFilter(
        choices=LeadStatus.choices, label="Status", widget=forms.CheckboxSelectMultiple
    )
    source = django_filters.ChoiceFilter(choices=LeadSource.choices, label="Source", empty_label="Any source")
    program = django_filters.ModelChoiceFilter(
        queryset=Program.objects.none(),
        label="Program",
        empty_label="Any program",
        null_label="No program",
        null_value="none",
    )
    assigned_to = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(), label="Assignee", empty_label="Anyone", null_label="Nobody", null_value="none"
    )
    created = DateRangeFilter(
        field_name="created_at",
        label="Created",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )
    center = django_filters.ModelChoiceFilter(queryset=None, label="Center", empty_label="All centers")
    o = django_filters.OrderingFilter(
        fields=(
            ("enquiry_id", "enquiry_id"),
            ("child__first_name", "child"),
            ("status", "status"),
            ("source", "source"),
            ("assigned_to__first_name", "assignee"),
            ("created_at", "created"),
            ("status_changed_at", "status_changed"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Lead
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request, prefix=None):
        from accounts.models import Center
        from leads.centers import current_center, may_switch_center, user_centers

        self.user = request.user
        centers = user_centers(request)
        if queryset is None:
            queryset = Lead.objects.for_user(self.user)
        elif not self.user.is_super_admin:
            # A caller's queryset is narrowed to the user's centers too, whatever it was.
            queryset = queryset.filter(center__in=[center.pk for center in centers])
        switcher = current_center(request)
        if data is not None and "center" not in data and switcher is not None:
            # The switcher's center is the default; `?center=` (all) or another id overrides it.
            data = data.copy()
            data["center"] = str(switcher.pk)
        super().__init__(data, queryset, request=request, prefix=prefix)
        chosen = (data or {}).get("center", "")
        scope = [center for center in centers if str(center.pk) == chosen] or centers
        self.filters["assigned_to"].queryset = User.objects.in_centers(scope, roles=[Role.COUNSELOR, Role.CENTER_ADMIN])
        #: Several centers on screen (a super admin's "all centers"): names carry their center.
        self.several_centers = len(scope) > 1
        # Programs of the chosen center (or of all the user's centers): another center's is "not a choice".
        self.filters["program"].queryset = Program.objects.filter(center__in=scope).select_related("center")
        if len(scope) > 1:
            self.filters["program"].field.label_from_instance = lambda p: f"{p.name} ({p.center.code})"
        if may_switch_center(request):
            self.filters["center"].queryset = Center.objects.for_user(self.user)
        else:
            del self.filters["center"]

    @property
    def form(self):
        form = super().form
        if self.several_centers and not getattr(form, "_centers_marked", False):
            from accounts.models import mark_centers

            field = form.fields["assigned_to"]
            labels = {user.pk: user.name_with_center for user in mark_centers(list(field.queryset))}
            field.label_from_instance = lambda user: labels.get(user.pk, str(user))
            form._centers_marked = True
        return form

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)
