"""Forms that replace Wagtail 8's admin forms where those show English that no translation reaches."""

from django.utils.translation import gettext_lazy
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm


class LoginForm(WagtailLoginForm):
    """Wagtail's login form gives its password field no label, so Django derives 「Password」 from the field name."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].label = gettext_lazy("Password")
