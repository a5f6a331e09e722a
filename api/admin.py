"""Admin for API tokens: list and revoke. Tokens are issued by `POST /api/v1/auth/token` only.

Super admins see every token; a center admin sees the tokens of the staff of their centers (anyone
with a membership in one of them, super admins excepted) and revokes those of the people they may
manage (`User.may_manage`: every center of that person is theirs). Nobody sees a secret: only its
SHA-256 is stored, and admin shows the first characters (`prefix`) to tell tokens apart.
"""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from accounts.models import MEMBERSHIP_PERM, CenterMembership, Role
from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "expires", "state", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name", "name", "prefix"]
    list_select_related = ["user"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "expires", "state", "revoked_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires", "state", "revoked_at"]
    actions = ["revoke_tokens"]
    change_form_template = "admin/api/apitoken/change_form.html"

    # -- who may do what: admins by role (center admins have no Django model permissions) --------

    def _is_admin(self, request) -> bool:
        user = request.user
        return user.is_active and user.role in (Role.SUPER_ADMIN, Role.CENTER_ADMIN)

    def has_module_permission(self, request) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request, obj=None) -> bool:
        # Changing is renaming and revoking; on one token, only for those who may revoke it.
        if not self._is_admin(request):
            return False
        return obj is None or obj.may_be_revoked_by(request.user)

    def has_add_permission(self, request) -> bool:
        return False  # the secret is shown once, by the token endpoint

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row says when and keeps the audit trail

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_super_admin:
            return queryset
        # Staff of the admin's centers, whether active or not (a deactivated person's dead tokens
        # stay listed); never a super admin's tokens.
        staff = CenterMembership.objects.filter(
            permission__codename=MEMBERSHIP_PERM, content_object__in=request.user.centers()
        ).values("user_id")
        return queryset.filter(user__in=staff).exclude(user__role=Role.SUPER_ADMIN)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not request.user.is_super_admin:
            try:
                exists = ApiToken.objects.filter(pk=int(object_id)).exists()
            except (TypeError, ValueError):
                exists = False
            if exists:
                raise PermissionDenied("This token belongs to staff of another center.")
        return obj

    # -- columns ----------------------------------------------------------------------------------

    @admin.display(description="Expires", ordering="created_at")
    def expires(self, obj: ApiToken) -> datetime.datetime:
        return obj.expires_at

    @admin.display(description="State")
    def state(self, obj: ApiToken) -> str:
        return obj.state

    # -- revoking ---------------------------------------------------------------------------------

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = refused = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            if not token.may_be_revoked_by(request.user):
                refused += 1
                continue
            revoked += token.revoke(by=request.user, request=request)
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                f"{refused} token(s) not revoked: their owner also works in a center you do not administer.",
                messages.WARNING,
            )

    def get_urls(self):
        urls = super().get_urls()
        revoke = path(
            "<path:object_id>/revoke/",
            self.admin_site.admin_view(self.revoke_view),
            name="api_apitoken_revoke",
        )
        return [revoke, *urls]

    def revoke_view(self, request, object_id):
        """POST only: the "Revoke this token" button of the change page."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:api_apitoken_change", args=[object_id]))
        token = self.get_object(request, object_id)
        if token is None:
            return HttpResponseRedirect(reverse("admin:api_apitoken_changelist"))
        if not token.may_be_revoked_by(request.user):
            raise PermissionDenied("Only an admin of all of this person's centers can revoke their tokens.")
        if token.revoke(by=request.user, request=request):
            self.message_user(request, f"Revoked token {token.prefix}….", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:api_apitoken_change", args=[token.pk]))
