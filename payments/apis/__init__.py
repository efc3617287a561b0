"""Payments endpoints: ``store`` (the storefront's pay endpoint and the channels'
callbacks) and ``staff`` (finance). Each module has ``urlpatterns``."""
