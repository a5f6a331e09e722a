from django.contrib import admin
from django.db import transaction

from insights.models import ContactAttempt, MessageTemplate, Notification, ReminderLog


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient", "lead"]


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ["key", "channel", "status", "attempts", "address", "created_at", "claimed_at", "sent_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["key", "address"]
    raw_id_fields = ["recipient"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):
    list_display = ["lead", "channel", "template", "by", "at"]
    list_filter = ["channel"]
    raw_id_fields = ["lead", "by"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            obj.count_as_contact()


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["center", "kind", "updated_at"]
    list_filter = ["center", "kind"]

    def get_queryset(self, request):
        # Center admins edit only their own centers' wording.
        return super().get_queryset(request).filter(center__in=request.user.centers())
