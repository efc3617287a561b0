"""Reading parameters: a stored value the rules no longer accept falls back to the default."""

import logging

import pytest
from django.core.cache import cache

from ops.models import SystemParameter
from ops.parameters import get_parameter, parameter_spec

pytestmark = pytest.mark.django_db


def test_a_stored_value_outside_tightened_rules_reads_as_the_default(caplog):
    # e.g. a value approved before a maximum was added to the parameter's rules
    SystemParameter.objects.create(key="ops.audit_retention_days", value=99999)
    cache.clear()
    with caplog.at_level(logging.WARNING, logger="ops.parameters"):
        default = parameter_spec("ops.audit_retention_days").default
        assert get_parameter("ops.audit_retention_days") == default
    assert "ops.audit_retention_days" in caplog.text


def test_an_approved_value_is_read_back_typed():
    SystemParameter.objects.create(key="ops.audit_retention_days", value=400)
    cache.clear()
    assert get_parameter("ops.audit_retention_days") == 400
