from django.urls import path

from integrations.views import quality

urlpatterns = [
    path("flows/<int:pk>/quality/", quality.flow_quality, name="flow_quality"),
]
