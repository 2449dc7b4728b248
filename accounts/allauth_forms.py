"""allauth's forms in Dyad's words. Apart from accounts/forms.py, which allauth imports while
building its own forms (ACCOUNT_SIGNUP_FORM_CLASS): importing allauth's forms there is a circle."""

from allauth.account.forms import LoginForm as AllauthLoginForm


class LoginForm(AllauthLoginForm):
    """Sentence case like the rest of Dyad: "Email address", no "Remember Me"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"
