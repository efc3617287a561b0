from django.urls import path

from . import apis

urlpatterns = [
    path("api/health/", apis.HealthView.as_view(), name="health"),
]
