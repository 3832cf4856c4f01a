"""Reseller onboarding: the reseller, its marketplace (tenant resellers), and the invitation of its first user."""

from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from bss.choices import ResellerKind, UserRole
from bss.exceptions import ApplicationError
from bss.models import Marketplace, PartnerCenterInstance, Reseller, User
from bss.services.accounts import marketplace_create, reseller_create
from bss.services.audit import audit_record


@dataclass(frozen=True)
class MarketplaceInput:
    name: str
    slug: str
    instance: PartnerCenterInstance
    primary_color: str = "#1f4e79"


@transaction.atomic
def reseller_onboard(
    *,
    actor: User,
    provider: Reseller,
    name: str,
    kind: str,
    partner_id: str,
    email: str,
    country: str,
    first_user_email: str,
    first_user_username: str,
    marketplace: MarketplaceInput | None,
    base_url: str,
) -> Reseller:
    """Create a light or tenant reseller under the provider and invite its first (admin) user."""
    if kind not in {ResellerKind.LIGHT, ResellerKind.TENANT}:
        raise ApplicationError("A reseller is either a light reseller or a tenant reseller.", code="invalid_kind")
    if kind == ResellerKind.TENANT and marketplace is None:
        raise ApplicationError("A tenant reseller needs its own marketplace (name and address).", code="marketplace")
    if marketplace is not None and Marketplace.objects.filter(slug=marketplace.slug).exists():
        raise ApplicationError(f"The marketplace address “{marketplace.slug}” is taken.", code="slug_taken")
    reseller = reseller_create(
        actor=actor, name=name, kind=kind, parent=provider, partner_id=partner_id, email=email, country=country
    )
    if kind == ResellerKind.TENANT and marketplace is not None:
        marketplace_create(
            actor=actor,
            owner=reseller,
            name=marketplace.name,
            slug=marketplace.slug,
            instance=marketplace.instance,
            market=marketplace.instance.default_market,
            currency=marketplace.instance.default_currency,
            primary_color=marketplace.primary_color,
        )
    user_invite(
        actor=actor,
        reseller=reseller,
        email=first_user_email,
        username=first_user_username,
        admin=True,
        base_url=base_url,
    )
    return reseller


@transaction.atomic
def user_invite(*, actor: User, reseller: Reseller, email: str, username: str, admin: bool, base_url: str) -> User:
    """Create a reseller user without a usable password and e-mail a link to choose one (valid until used or
    until PASSWORD_RESET_TIMEOUT)."""
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(f"The user name “{username}” is taken.", code="username_taken")
    user = User(username=username, email=email, role=UserRole.RESELLER, reseller=reseller, is_reseller_admin=admin)
    user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action="user.invite",
        obj=user,
        after={"username": username, "email": email, "reseller_id": reseller.pk, "reseller_admin": admin},
    )
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = base_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {"user": user, "reseller": reseller, "link": link, "invited_by": actor}
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {reseller.name} on cspbss",
            message=render_to_string("backoffice/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return user
