"""Portal URLs: the mapping editor of a flow, its preview, versions, diff and rollback."""

from django.urls import path

from integrations.views import mappings as views

urlpatterns = [
    path("flows/<int:pk>/mapping/", views.flow_mapping, name="flow_mapping"),
    path("flows/<int:pk>/mapping/field/", views.flow_mapping_field, name="flow_mapping_field"),
    path("flows/<int:pk>/mapping/save/", views.flow_mapping_save, name="flow_mapping_save"),
    path("flows/<int:pk>/mapping/discard/", views.flow_mapping_discard,
         name="flow_mapping_discard"),
    path("flows/<int:pk>/mapping/preview/", views.flow_mapping_preview,
         name="flow_mapping_preview"),
    path("flows/<int:pk>/mapping/versions/", views.flow_mapping_versions,
         name="flow_mapping_versions"),
    path("flows/<int:pk>/mapping/diff/", views.flow_mapping_diff, name="flow_mapping_diff"),
    path("flows/<int:pk>/mapping/versions/<int:number>/rollback/", views.flow_mapping_rollback,
         name="flow_mapping_rollback"),
]
