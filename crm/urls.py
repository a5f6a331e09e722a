from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import two_factor
from accounts.views import PasswordResetConfirmView, PasswordResetView, admin_password_change

urlpatterns = [
    # Admin's own "Change password", logged (accounts/views.py); ahead of admin's URL of the same path.
    path("admin/password_change/", admin_password_change),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/setup/", two_factor.setup, name="two_factor_setup"),
    path("two-factor/", two_factor.verify, name="two_factor_verify"),
    # "Forgot password?": Django's views, our templates (templates/registration/), rate-limited.
    path("password-reset/", PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("api/v1/", include("api.urls")),
    path("insights/", include("insights.urls")),
    path("", include("leads.urls")),
]
