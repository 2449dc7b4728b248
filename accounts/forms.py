from django import forms

from .models import User
from .timezones import TimeZoneField, guess_zone_unless_bound


class SignupProfileForm(forms.Form):
    """Extra fields on allauth's sign-up form: the name partners see and the zone times are shown in."""

    display_name = forms.CharField(
        label="Your name", max_length=120, help_text="As your supervisor and partners will see it."
    )
    time_zone = TimeZoneField(label="Time zone", initial="UTC")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        guess_zone_unless_bound(self)

    def signup(self, request, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["display_name", "time_zone"])


class ProfileForm(forms.ModelForm):
    time_zone = TimeZoneField(
        label="Time zone", help_text=User._meta.get_field("time_zone").help_text
    )

    class Meta:
        model = User
        fields = ["display_name", "time_zone"]
        labels = {"display_name": "Your name"}
