"""`{% insights_nav as inav %}`: what the insights navigation shows this user (one count query)."""

from django import template

from accounts.models import Action

register = template.Library()


@register.simple_tag(takes_context=True)
def insights_nav(context) -> dict:
    from insights.models import Notification

    user = context["user"]
    if not getattr(user, "is_authenticated", False):
        return {}
    context["unread"] = Notification.objects.for_user(user).unread().count()
    return {
        "dashboard": user.may(Action.VIEW_LEADS),
        "calendar": user.may(Action.VIEW_LEADS) or user.may(Action.RECORD_OUTCOME),
    }


@register.filter
def pct(value) -> str:
    return "–" if value is None else f"{value:g}%"


@register.filter
def days(value) -> str:
    return "–" if value is None else f"{value:g} d"


@register.filter
def bar(value, maximum) -> float:
    """Bar width in percent of the largest value (0 when there is nothing)."""
    try:
        return round(100.0 * float(value or 0) / float(maximum), 2) if maximum else 0
    except (TypeError, ValueError):
        return 0


@register.filter
def times(value, factor) -> int:
    return int(value or 0) * int(factor)
