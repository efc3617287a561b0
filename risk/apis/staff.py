"""Staff API of risk control under ``/api/v1/risk/`` (API part fills this module)."""

urlpatterns: list = []
