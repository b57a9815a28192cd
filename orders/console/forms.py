"""Console forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from orders.console import presenters
from orders.rules import cards


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        # A callable: the labels follow the language of each request.
        choices=presenters.cancel_reason_choices,
        error_messages={
            "required": gettext_lazy("Choose why the order is canceled."),
            "invalid_choice": gettext_lazy("Choose one of the listed reasons."),
        },
    )


class ShippingAddressForm(forms.Form):
    """The new shipping address, prefilled with the current one.

    Only the shape of the input is checked here (strings of the columns' lengths); what an
    address may hold is decided by the address rules, through the same service as the API
    and the admin, whose problems the view puts next to each field.
    """

    first_name = forms.CharField(label=gettext_lazy("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), required=False, max_length=150)
    address = forms.CharField(label=gettext_lazy("Street address"), required=False, max_length=255)
    zip_code = forms.CharField(label=gettext_lazy("Postal code"), required=False, max_length=32)
    city = forms.CharField(label=gettext_lazy("City"), required=False, max_length=128)
    country_code = forms.CharField(label=gettext_lazy("Country"), required=False, max_length=2)
    region_code = forms.CharField(label=gettext_lazy("Region"), required=False, max_length=6)
    phone_number = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=32)

    def scrub_card_numbers(self) -> None:
        """Blank every typed value holding a card number: the re-rendered form must not
        carry the digits back to the browser (the error next to the field says why)."""
        if not self.is_bound:
            return
        data = self.data.copy()
        for name in self.fields:
            if cards.contains_full_card_number(str(data.get(name, ""))):
                data[name] = ""
        self.data = data

    def clean_country_code(self) -> str:
        return self.cleaned_data["country_code"].upper()

    def clean_region_code(self) -> str:
        return self.cleaned_data["region_code"].upper()
