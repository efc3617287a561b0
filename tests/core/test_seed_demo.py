import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings


@pytest.mark.django_db
def test_seed_demo_creates_the_admin_and_is_idempotent():
    call_command("seed_demo")
    counts = {model: model.objects.count() for model in _all_models()}
    call_command("seed_demo")

    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("mall-demo-2026")
    assert {model: model.objects.count() for model in _all_models()} == counts


@pytest.mark.django_db
@override_settings(TESTING=False, DEBUG=False, DEMO_MODE=False)
def test_seed_demo_refuses_production_settings_unless_forced():
    with pytest.raises(CommandError, match="refusing"):
        call_command("seed_demo")
    assert not get_user_model().objects.filter(username="admin").exists()


def _all_models():
    from django.apps import apps

    from ops.models import AuditEntry

    # Audit entries legitimately grow on every run (each service write is audited).
    return [m for m in apps.get_models() if m is not AuditEntry and not m._meta.proxy]
