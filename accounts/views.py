from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing import limits


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tenant = connection.tenant
    return render(request, "portal/home.html", {
        "tenant": tenant,
        "subscription": getattr(tenant, "subscription", None),
        "standing": limits.can_operate(tenant=tenant),
        "usage": limits.usage_status(tenant=tenant),
    })
