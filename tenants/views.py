from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.selectors import plan_list_public


def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "public/pricing.html", {"plans": plan_list_public()})
