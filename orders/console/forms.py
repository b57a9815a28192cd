"""Console forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from orders.console import presenters


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        # A callable: the labels follow the language of each request.
        choices=presenters.cancel_reason_choices,
        error_messages={
            "required": gettext_lazy("Choose why the order is canceled."),
            "invalid_choice": gettext_lazy("Choose one of the listed reasons."),
        },
    )
