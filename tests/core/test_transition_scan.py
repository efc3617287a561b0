"""Every status changes through ``mall.core.transitions`` — read from the code itself.

The scan parses every module of the project's apps (not migrations, not tests)
and fails on any other way to set a declared status field: an attribute
assignment (``order.status = …``), ``setattr(order, "status", …)``, a queryset
``update(status=…)`` or a ``bulk_update(…, ["status", …])``. A ``bulk_update`` of
rows moved with ``transition(save=False)`` says so with a trailing
``# saves transition(save=False) rows`` comment on the call's first line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from mall.core.transitions import registered_state_machines

ROOT = Path(settings.BASE_DIR)
APP_DIRS = ["mall", "ops", "rbac", "catalog", "dispatch", "members", "orders", "payments", "risk"]
HELPER = ROOT / "mall" / "core" / "transitions.py"
BULK_MARKER = "# saves transition(save=False) rows"


def _project_modules() -> list[Path]:
    files = []
    for name in APP_DIRS:
        base = ROOT / name
        if not base.exists():
            continue
        for path in base.rglob("*.py"):
            if "migrations" in path.parts or path == HELPER:
                continue
            files.append(path)
    return sorted(files)


def _status_fields() -> set[str]:
    return {"status"} | {machine.field for machine in registered_state_machines()}


def _literal_strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        found: set[str] = set()
        for element in node.elts:
            found |= _literal_strings(element)
        return found
    return set()


def _violations(path: Path, fields: set[str]) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, filename=str(path))
    found = []

    def report(node: ast.AST, what: str) -> None:
        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Attribute) and sub.attr in fields:
                        report(node, f"assigns .{sub.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "setattr" and len(node.args) >= 2:
                if _literal_strings(node.args[1]) & fields:
                    report(node, "setattr() of a status field")
            elif name == "update" and isinstance(func, ast.Attribute):
                keywords = {kw.arg for kw in node.keywords if kw.arg}
                if keywords & fields:
                    report(node, f"update({', '.join(sorted(keywords & fields))}=…)")
            elif name == "bulk_update":
                named = set()
                for arg in [*node.args[1:], *(kw.value for kw in node.keywords)]:
                    named |= _literal_strings(arg)
                if named & fields and BULK_MARKER not in lines[node.lineno - 1]:
                    report(node, "bulk_update() of a status field without the marker")
    return found


def test_no_status_is_set_outside_the_transition_helper():
    fields = _status_fields()
    violations = [v for path in _project_modules() for v in _violations(path, fields)]
    assert violations == [], "status set outside mall.core.transitions:\n" + "\n".join(violations)


def test_every_status_field_has_a_transition_table():
    declared = {(machine.model, machine.field) for machine in registered_state_machines()}
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in {"core", *APP_DIRS} or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if field.name == "status" and field.choices and (model, "status") not in declared:
                missing.append(f"{model._meta.label}.status")
    assert missing == []


def _machine_label(machine) -> str:
    return f"{machine.model._meta.label}.{machine.field}"


@pytest.mark.parametrize(
    "machine",
    sorted(registered_state_machines(), key=_machine_label),
    ids=_machine_label,
)
def test_each_table_starts_somewhere_and_names_only_known_statuses(machine):
    choices = {value for value, _label in machine.model._meta.get_field(machine.field).flatchoices}
    assert set(machine.moves) == choices
    assert machine.initial, f"{machine.model.__name__}: no initial status"
    assert machine.initial <= choices


def test_the_scan_catches_each_way_of_setting_a_status(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(order, qs, rows):\n"
        "    order.status = 'paid'\n"
        "    setattr(order, 'status', 'paid')\n"
        "    qs.update(status='paid')\n"
        "    qs.bulk_update(rows, ['status'])\n"
        "    qs.bulk_update(rows, ['status'])  " + BULK_MARKER + "\n"
        "    order.note = 'fine'\n"
    )
    found = _violations_at(sample, tmp_path)
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5"]


def _violations_at(path: Path, root: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, root
    try:
        return _violations(path, {"status"})
    finally:
        ROOT = saved
