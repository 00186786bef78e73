"""Portal URLs: a flow's step editor, its test run, versions, compare and rollback."""

from django.urls import path

from integrations.views import steps as views

urlpatterns = [
    path("flows/<int:pk>/steps/", views.flow_steps, name="flow_steps"),
    path("flows/<int:pk>/steps/save/", views.flow_steps_save_view, name="flow_steps_save"),
    path("flows/<int:pk>/steps/test/", views.flow_steps_test_view, name="flow_steps_test"),
    path("flows/<int:pk>/steps/versions/", views.flow_steps_versions,
         name="flow_steps_versions"),
    path("flows/<int:pk>/steps/compare/", views.flow_steps_compare, name="flow_steps_compare"),
    path("flows/<int:pk>/steps/versions/<int:number>/rollback/", views.flow_steps_rollback_view,
         name="flow_steps_rollback"),
]
