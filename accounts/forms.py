from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from .adapter import session_length_for
from .models import User
from .timezones import TimeZoneField, guess_zone_unless_bound
from .validators import validate_single_line


class SignupProfileForm(forms.Form):
    """Extra fields on allauth's sign-up form: the name partners see and the zone times are shown in."""

    display_name = forms.CharField(
        label="Your name",
        max_length=120,
        help_text="As your supervisor and partners will see it.",
        validators=[validate_single_line],
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


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form, which sets the session's length from "Remember me" after signing
    in; a programme admin's or staff member's session is then cut back to their shorter length
    (whether or not they ticked the box: the server forgets it after that time either way)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In Dyad's words, sentence case like every other page (not "Remember Me").
        self.fields["login"].label = "Email address"
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"

    def login(self, request, redirect_url=None):
        response = super().login(request, redirect_url)
        if self.user.is_programme_admin or self.user.is_staff:
            request.session.set_expiry(session_length_for(self.user))
        return response


class AccountDeleteForm(forms.Form):
    """Asks for the password again, so an unattended signed-in browser cannot delete the account.
    Someone without a usable password types their email address instead."""

    confirmation = forms.CharField(strip=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        field = self.fields["confirmation"]
        if user.has_usable_password():
            field.label = "Your password"
            field.widget = forms.PasswordInput(attrs={"autocomplete": "current-password"})
        else:
            field.label = "Your email address"
            field.widget = forms.EmailInput(attrs={"autocomplete": "email"})

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"]
        if self.user.has_usable_password():
            if not self.user.check_password(typed):
                raise forms.ValidationError("That is not your password.")
        elif typed.strip().lower() != self.user.email:
            raise forms.ValidationError("That is not your email address.")
        return typed
