from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django_ratelimit.core import is_ratelimited
from django_tenants.utils import schema_context

from accounts.lockout import client_ip
from accounts.models import User
from accounts.services import welcome_token_create
from billing.models import Plan
from billing.selectors import plan_list_public
from tenants.forms import SignupForm
from tenants.selectors import tenant_base_url
from tenants.services import tenant_create, tenant_slug_validate


def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/pricing.html", {"plans": plan_list_public()})


def _initial_plan(request: HttpRequest, form: SignupForm) -> str | None:
    slugs = [plan.slug for plan in form.plans]
    for wanted in (request.GET.get("plan"), Plan.DEFAULT_SLUG):
        if wanted in slugs:
            return wanted
    return slugs[0] if slugs else None


def _signup_page(request: HttpRequest, form: SignupForm, status: int = 200) -> HttpResponse:
    response = render(request, "public/signup.html", {
        "form": form,
        "address_example": tenant_base_url(slug="your-company"),
        "address_hint": _address_hint(form["slug"].value() or ""),
    }, status=status)
    # The form's answer is a redirect to the new tenant's own domain, and browsers apply the
    # page's form-action to that redirect too: allow our tenants' origins (and only those).
    response._csp_update = {"form-action": [tenant_base_url(slug="*")]}  # type: ignore[attr-defined]
    return response


@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = SignupForm()
        form.initial["plan"] = _initial_plan(request, form)
        return _signup_page(request, form)
    form = SignupForm(request.POST)
    if not form.is_valid():
        return _signup_page(request, form, status=400)
    # Counted once the form is valid: typing mistakes cost nothing, made tenants do.
    if is_ratelimited(request, group="signup", key=lambda _group, r: client_ip(r) or "",
                      rate=settings.SIGNUP_RATE, increment=True):
        form.add_error(None, "Too many sign-ups from your network for now; please try again "
                             "later, or write to us and we will set you up.")
        return _signup_page(request, form, status=429)
    data = form.cleaned_data
    try:
        tenant = tenant_create(name=data["name"], slug=data["slug"],
                               owner_email=data["owner_email"],
                               owner_password=data["owner_password"],
                               owner_name=data["owner_name"], plan=data["plan"])
    except ValidationError as exc:
        # Someone took the slug (or the address) between the check and the write.
        form.add_service_errors(exc)
        return _signup_page(request, form, status=400)
    with schema_context(tenant.schema_name):
        owner = User.objects.get(
            email=User.objects.normalize_email(data["owner_email"].strip()).lower())
        token = welcome_token_create(user=owner, schema_name=tenant.schema_name)
    path = reverse("welcome", urlconf=settings.ROOT_URLCONF, kwargs={"token": token})
    return HttpResponseRedirect(tenant_base_url(slug=tenant.slug) + path)


def _address_hint(slug: str) -> dict[str, str]:
    slug = slug.strip().lower()
    if not slug:
        return {"address": tenant_base_url(slug="your-company"), "problem": "", "ok": ""}
    try:
        slug = tenant_slug_validate(slug)
    except ValidationError as exc:
        return {"address": tenant_base_url(slug=slug), "problem": " ".join(exc.messages),
                "ok": ""}
    return {"address": tenant_base_url(slug=slug), "problem": "", "ok": "Available."}


def signup_address(request: HttpRequest) -> HttpResponse:
    """The address a slug gives and whether it is free, refreshed as it is typed (htmx)."""
    return render(request, "public/_signup_address.html",
                  {"address_hint": _address_hint(request.GET.get("slug", ""))})
