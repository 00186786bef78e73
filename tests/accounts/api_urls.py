"""The tenant URLs plus one tiny API view, so API-key tests need none of the real endpoints."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls_tenants import urlpatterns as tenant_urlpatterns


class EchoView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user)})

    def post(self, request: Request) -> Response:
        return Response({"user": str(request.user)}, status=201)


urlpatterns = [path("api/v1/test-echo/", EchoView.as_view()), *tenant_urlpatterns]
