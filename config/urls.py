from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Dyad administration"
admin.site.site_title = "Dyad"
# The admin's own sign-in form has none of allauth's rate limits (nor two-factor sign-in): everyone,
# staff included, signs in through allauth, and /admin/login/ only sends them there.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
handler500 = "config.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("", include("roleplay.urls")),
]
