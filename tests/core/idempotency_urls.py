"""A tiny POST endpoint with a visible effect, to test ``@idempotent`` on its own."""

import time

from django.urls import path
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.exceptions import Conflict
from mall.core.idempotency import idempotent
from mall.core.models import JobRun


class CreateRunView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @idempotent
    def post(self, request):
        delay = float(request.data.get("delay", 0))
        if delay:
            time.sleep(delay)
        if request.data.get("fail") == "conflict":
            raise Conflict("no stock", code="out_of_stock")
        if request.data.get("fail") == "crash":
            raise RuntimeError("boom")
        run = JobRun.objects.create(name=str(request.data.get("name", "x")), status="succeeded")
        return Response({"id": run.pk, "name": run.name}, status=status.HTTP_201_CREATED)


urlpatterns = [path("api/test/runs/", CreateRunView.as_view())]
