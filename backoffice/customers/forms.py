from __future__ import annotations

from django import forms

from bss.models import Customer
from bss.services.customer_profile import FIELDS, CustomerProfile


class CustomerProfileForm(forms.Form):
    """The customer's profile as the back office edits it. The rules (required fields, e-mail, phone, ISO country,
    state for some countries) are the core's (`bss.services.customer_profile`); its refusals land on the fields."""

    company_name = forms.CharField(label="Company", max_length=200)
    contact_first_name = forms.CharField(label="Contact first name", max_length=100, required=False)
    contact_last_name = forms.CharField(label="Contact last name", max_length=100, required=False)
    contact_email = forms.CharField(label="Contact e-mail", max_length=254, required=False,
                                    widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    contact_phone = forms.CharField(label="Phone", max_length=40, required=False,
                                    help_text="With the country code, e.g. +44 20 7946 0958")
    address_line1 = forms.CharField(label="Address", max_length=200, required=False)
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(label="State or province", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    country = forms.CharField(label="Country", max_length=2, help_text="ISO 3166 two-letter code, e.g. US, GB, DE",
                              widget=forms.TextInput(attrs={"class": "narrow", "autocomplete": "country"}))

    @classmethod
    def for_customer(cls, customer: Customer, data: object = None) -> CustomerProfileForm:
        return cls(data=data, initial={name: getattr(customer, name) for name in FIELDS})  # type: ignore[arg-type]

    def profile(self) -> CustomerProfile:
        return CustomerProfile(**{name: self.cleaned_data.get(name, "") for name in FIELDS})
