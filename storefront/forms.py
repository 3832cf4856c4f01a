"""Forms of the storefront: they validate and normalise what the user typed; services decide the rest."""

import re
import uuid
from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from bss.choices import AcceptanceRole, BillingCycle, TermDuration

# Partner Center's rule for the initial domain: <prefix>.onmicrosoft.com, letters and digits, at most 27.
DOMAIN_PREFIX_RE = re.compile(r"^[a-z0-9]{1,27}$")
# Countries where Partner Center requires a state/province, resp. a phone number, on the customer's address.
STATE_REQUIRED_COUNTRIES = frozenset({"US", "CA", "AU", "BR", "IN"})
PHONE_REQUIRED_COUNTRIES = frozenset({"AM", "AZ", "BY", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"})
_DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{5,30}$")

MCA_AGREEMENT_LINK = "https://aka.ms/customeragreement"


def normalise_domain_prefix(value: str) -> str:
    """What the user most likely meant: trimmed, lower-case, without a pasted `.onmicrosoft.com` suffix."""
    value = (value or "").strip().lower()
    return value.removesuffix(".onmicrosoft.com")


def domain_prefix_problem(prefix: str) -> str:
    """A plain-language reason why `prefix` cannot be a tenant domain prefix, or "" when it is well-formed."""
    if not prefix:
        return "Enter a domain prefix."
    if len(prefix) > 27:
        return "The domain prefix can be at most 27 characters long."
    if not DOMAIN_PREFIX_RE.match(prefix):
        return "Use only letters a-z and digits 0-9 in the domain prefix (no spaces, dots or hyphens)."
    return ""


class CatalogFilterForm(forms.Form):
    """Search and filters of the catalog page (GET)."""

    q = forms.CharField(required=False, max_length=100, label="Search")
    family = forms.ChoiceField(required=False, label="Product family")
    term = forms.ChoiceField(required=False, label="Term")
    billing = forms.ChoiceField(required=False, label="Billing")

    def __init__(self, *args: Any, families: list[str], terms: list[str], cycles: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        family, term, billing = (cast(forms.ChoiceField, self.fields[name]) for name in ("family", "term", "billing"))
        family.choices = [("", "All families"), *((f, f) for f in families)]
        term.choices = [("", "Any term"), *((t, TermDuration(t).label) for t in terms)]
        billing.choices = [("", "Any billing"), *((c, BillingCycle(c).label) for c in cycles)]


class CartAddForm(forms.Form):
    """Add an offer to the cart: which term and billing cycle, how many."""

    offer = forms.IntegerField(widget=forms.HiddenInput)
    plan = forms.CharField(max_length=40, help_text="term:billing cycle, e.g. P1Y:annual")
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, initial=1)
    promotion = forms.CharField(max_length=80, required=False, help_text="a promotion id of the chosen plan")

    def clean_plan(self) -> tuple[str, str]:
        term, _, cycle = self.cleaned_data["plan"].partition(":")
        if term not in TermDuration.values or cycle not in BillingCycle.values:
            raise forms.ValidationError("Choose a term and billing cycle.")
        return term, cycle


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=1_000_000, error_messages={
        "min_value": "The quantity must be at least 1 (use Remove to drop a line).",
    })


class CustomerChoiceForm(forms.Form):
    """Step 1: who is the order for."""

    NEW = "new"
    EXISTING_CUSTOMER = "existing_customer"
    EXISTING_TENANT = "existing_tenant"

    KINDS = [
        (NEW, "A new customer (create a new Microsoft tenant)"),
        (EXISTING_CUSTOMER, "An existing customer"),
        (EXISTING_TENANT, "A company that already has a Microsoft 365 tenant"),
    ]
    kind = forms.ChoiceField(widget=forms.RadioSelect, label="Who is this order for?", choices=KINDS)
    customer = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Existing customer")

    def __init__(self, *args: Any, customers: list[tuple[int, str]], allow_new: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        customer, kind = (cast(forms.ChoiceField, self.fields[name]) for name in ("customer", "kind"))
        customer.choices = [("", "Choose a customer"), *customers]
        kinds = self.KINDS
        if not allow_new:
            kinds = [c for c in kinds if c[0] == self.EXISTING_CUSTOMER]
        if not customers:
            kinds = [c for c in kinds if c[0] != self.EXISTING_CUSTOMER]
        kind.choices = kinds

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("kind") == self.EXISTING_CUSTOMER and not data.get("customer"):
            self.add_error("customer", "Choose the customer this order is for.")
        return data


class _CompanyFields(forms.Form):
    """Company, contact and address of a customer, as Partner Center requires them."""

    company_name = forms.CharField(max_length=200, label="Company name")
    contact_first_name = forms.CharField(max_length=100, label="Contact first name")
    contact_last_name = forms.CharField(max_length=100, label="Contact last name")
    contact_email = forms.EmailField(max_length=254, label="Contact email")
    contact_phone = forms.CharField(
        max_length=30, required=False, label="Contact phone",
        validators=[RegexValidator(_PHONE_RE, "Enter a phone number: digits, spaces, +, (, ), - only.")],
    )
    address_line1 = forms.CharField(max_length=200, label="Address")
    city = forms.CharField(max_length=100)
    state = forms.CharField(max_length=100, required=False, label="State / province",
                            help_text="Required in the US, Canada, Australia, Brazil and India.")
    postal_code = forms.CharField(max_length=20, label="Postal code")
    country = forms.CharField(
        label="Country", widget=forms.TextInput(attrs={"maxlength": 2, "size": 2, "autocomplete": "country"}),
        help_text="Two-letter ISO code, e.g. US, GB, DE.",
        validators=[RegexValidator(r"^[A-Za-z]{2}$", "Enter the two-letter country code, e.g. US, GB, DE.")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Required in some countries only: the page must not call it "optional".
        self.fields["state"].conditional = True  # type: ignore[attr-defined]

    def clean_company_name(self) -> str:
        return " ".join(self.cleaned_data["company_name"].split())

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_contact_email(self) -> str:
        return self.cleaned_data["contact_email"].strip().lower()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        country = data.get("country")
        if country in STATE_REQUIRED_COUNTRIES and not data.get("state"):
            self.add_error("state", f"A state or province is required for addresses in {country}.")
        if country in PHONE_REQUIRED_COUNTRIES and not data.get("contact_phone"):
            self.add_error("contact_phone", f"A phone number is required for customers in {country}.")
        return data


class NewCustomerForm(_CompanyFields):
    """Step 2 for a new customer: the company, its contact and the new tenant's domain prefix."""

    field_order = ["company_name", "domain_prefix"]

    domain_prefix = forms.CharField(
        max_length=60, label="Domain prefix",
        help_text="The new tenant's initial domain: <prefix>.onmicrosoft.com. Letters and digits, at most 27.",
    )

    def clean_domain_prefix(self) -> str:
        prefix = normalise_domain_prefix(self.cleaned_data["domain_prefix"])
        problem = domain_prefix_problem(prefix)
        if problem:
            raise forms.ValidationError(problem)
        return prefix


class ExistingTenantForm(_CompanyFields):
    """Step 2 for an existing Microsoft tenant: which tenant, and who the customer is."""

    field_order = ["domain_or_tenant_id", "company_name"]

    domain_or_tenant_id = forms.CharField(
        max_length=253, label="Tenant domain or tenant id",
        help_text="e.g. contoso.onmicrosoft.com, contoso.com or the tenant id (a GUID).",
    )

    def clean_domain_or_tenant_id(self) -> str:
        value = self.cleaned_data["domain_or_tenant_id"].strip().lower()
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
        if not _DOMAIN_RE.match(value):
            raise forms.ValidationError("Enter the tenant's domain (like contoso.onmicrosoft.com) or its tenant id.")
        return value


class MCAForm(forms.Form):
    """The Microsoft Customer Agreement step: the signatory, and the acceptance (or the confirmation of it)."""

    signatory_first_name = forms.CharField(max_length=100, label="First name")
    signatory_last_name = forms.CharField(max_length=100, label="Last name")
    signatory_email = forms.EmailField(max_length=254, label="Email")
    signatory_phone = forms.CharField(
        max_length=30, required=False, label="Phone",
        validators=[RegexValidator(_PHONE_RE, "Enter a phone number: digits, spaces, +, (, ), - only.")],
    )
    accepted_on = forms.DateField(label="Date of acceptance", widget=forms.DateInput(attrs={"type": "date"}))
    accept = forms.BooleanField(required=True)

    ACCEPT_LABELS = {
        AcceptanceRole.CUSTOMER: "I accept the Microsoft Customer Agreement on behalf of my organisation.",
        AcceptanceRole.RESELLER: "I confirm that the customer has accepted the Microsoft Customer Agreement.",
        AcceptanceRole.STAFF: "I confirm that the customer has accepted the Microsoft Customer Agreement.",
    }

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        self.fields["accept"].label = self.ACCEPT_LABELS[AcceptanceRole(role)]
        self.fields["accept"].error_messages["required"] = (
            "The Microsoft Customer Agreement must be accepted before ordering."
            if role == AcceptanceRole.CUSTOMER
            else "Confirm that the customer has accepted the Microsoft Customer Agreement."
        )
        if role == AcceptanceRole.CUSTOMER:
            # A customer accepts now; the date is not theirs to choose.
            self.fields["accepted_on"].required = False
            self.fields["accepted_on"].widget = forms.HiddenInput()

    def clean_signatory_email(self) -> str:
        return self.cleaned_data["signatory_email"].strip().lower()

    def clean_accepted_on(self) -> Any:
        day = self.cleaned_data.get("accepted_on")
        if self.role == AcceptanceRole.CUSTOMER:
            return timezone.localdate()
        if day and day > timezone.localdate():
            raise forms.ValidationError("The date of acceptance cannot be in the future.")
        return day
