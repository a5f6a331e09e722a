"""Admin for API tokens: list and revoke. Tokens are issued by `POST /api/v1/auth/token` only."""

from django.contrib import admin, messages
from django.utils import timezone

from accounts.models import User
from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "name", "prefix"]
    readonly_fields = ["user", "prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_tokens"]

    def has_add_permission(self, request) -> bool:
        return False  # the secret is shown once, by the token endpoint

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row says when and keeps the audit trail

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("user")
        if request.user.is_superuser:
            return queryset
        # A center admin sees the tokens of the staff of their centers only.
        return queryset.filter(user__in=User.objects.in_centers(request.user.centers()))

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
