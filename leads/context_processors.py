"""Navigation context for templates/base.html, evaluated only when the template reads it.

HTMX fragments render without the layout, so nothing here may query eagerly: every value is a
`cached_property` of one object, `crm_nav`.
"""

from __future__ import annotations

import datetime
from functools import cached_property

from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Action
from leads.lifecycle import day_start


class Nav:
    def __init__(self, request: HttpRequest):
        self.request = request
        self.user = request.user

    @cached_property
    def shows_leads(self) -> bool:
        """Trainers see only their own view: no lead navigation at all."""
        return self.user.may(Action.VIEW_LEADS)

    @cached_property
    def may_create_enquiry(self) -> bool:
        return self.user.may(Action.CREATE_ENQUIRY)

    @cached_property
    def is_trainer(self) -> bool:
        return self.user.is_trainer_only

    @cached_property
    def trainer_url(self) -> str:
        from django.urls import NoReverseMatch, reverse

        try:
            return reverse("leads:trainer_today")
        except NoReverseMatch:  # the trainer view lands separately
            return "/trainer/"

    @cached_property
    def centers(self) -> list:
        from leads.centers import user_centers

        return user_centers(self.request)

    @cached_property
    def current_center(self):
        from leads.centers import current_center

        return current_center(self.request)

    @cached_property
    def may_switch(self) -> bool:
        from leads.centers import may_switch_center

        return may_switch_center(self.request)

    @cached_property
    def follow_up_count(self) -> int:
        """The user's follow-ups due today or overdue, in the current center's calendar."""
        from leads.models import FollowUp

        center = self.current_center
        tz = center.tzinfo if center else timezone.get_current_timezone()
        tomorrow = day_start(timezone.localdate(timezone=tz) + datetime.timedelta(days=1), tz)
        queryset = FollowUp.objects.for_user(self.user).due_before(tomorrow).filter(assigned_to=self.user)
        if center is not None:
            queryset = queryset.filter(lead__center=center)
        return queryset.count()


def navigation(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"crm_nav": Nav(request)}
