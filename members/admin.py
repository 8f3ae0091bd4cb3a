from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from copf.lib.admin import BoundedIdsMixin, SupportedYearsDateHierarchyMixin

from . import services
from .accounts import AdminLoginForm
from .deliveries import outage, queue, sweep
from .forms import UserAdminChangeForm, UserAdminCreationForm
from .models import Delivery, Role, User

admin.site.login_form = AdminLoginForm
admin.site.unregister(Group)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """The roles a series' meetings need, or one meeting's own (in place of the series'
    role with the same slug; 0 places takes it out of that meeting)."""

    list_display = ("name", "slug", "series", "meeting", "places", "nudge", "position")
    list_editable = ("places", "nudge", "position")
    list_filter = ("series",)
    list_select_related = ("series", "meeting")
    search_fields = ("name", "slug", "series__name", "meeting__title")
    raw_id_fields = ("meeting",)
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("series__name", "meeting__starts_at", "position", "pk")


@admin.register(Group)
class GroupAdmin(BoundedIdsMixin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(BoundedIdsMixin, BaseUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ("email",)
    list_display = ("email", "display_name", "timezone", "is_staff", "is_active")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name", "timezone")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "display_name", "timezone", "password1", "password2"),
            },
        ),
    )

    # As the member's own "delete my account" does: their seats go to the waitlist and the
    # counts on every page move.
    def delete_model(self, request: HttpRequest, obj: User) -> None:
        services.delete_account(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.order_by("pk"):
            services.delete_account(user=user)


@admin.register(Delivery)
class DeliveryAdmin(SupportedYearsDateHierarchyMixin, admin.ModelAdmin):
    list_display = (
        "kind",
        "recipient",
        "about",
        "state",
        "due_at",
        "attempts",
        "sent_at",
        "reason",
    )
    list_filter = ("state", "kind")
    search_fields = ("user__email", "voter__email", "meeting__title", "poll__title", "message_id")
    list_select_related = ("user", "meeting", "poll", "voter")
    date_hierarchy = "due_at"
    actions = ("resend",)
    readonly_fields = [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        status = outage.current_status()
        if status.is_failing:
            self.message_user(
                request,
                _(
                    "Mail is failing since %(since)s UTC: %(reason)s. Sending is paused and "
                    "messages wait; the next try is at %(retry)s UTC."
                )
                % {
                    "since": f"{status.failing_since:%Y-%m-%d %H:%M}",
                    "reason": status.last_error,
                    "retry": f"{status.paused_until:%H:%M:%S}" if status.paused_until else "-",
                },
                messages.ERROR,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="To")
    def recipient(self, delivery: Delivery) -> str:
        """The member, or the address of a poll's guest."""
        if delivery.user_id is not None:
            return str(delivery.user)
        return f"{delivery.voter.email} (guest)"

    @admin.display(description="About")
    def about(self, delivery: Delivery) -> str:
        if delivery.meeting_id is not None:
            return str(delivery.meeting)
        return f"Poll: {delivery.poll}"

    @admin.display(description="Failure or skip reason")
    def reason(self, delivery: Delivery) -> str:
        return delivery.last_error[:120]

    @admin.action(description="Send the selected failed or skipped messages again")
    def resend(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = sweep.resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
        queue.enqueue_on_commit(ids)
        self.message_user(request, f"{len(ids)} message(s) will be sent again.", messages.SUCCESS)
