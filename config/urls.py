from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Dyad administration"
admin.site.site_title = "Dyad"
handler500 = "config.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("", include("roleplay.urls")),
]
