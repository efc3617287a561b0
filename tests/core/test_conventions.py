"""The one way to write a selector and a service, checked on the code of every app.

* A public function of ``<app>/selectors.py`` (or a ``selectors`` package) takes
  ``actor`` as its first keyword-only argument and nothing positional: every read
  served to a person says who reads (``order_list(*, actor, status=None)``).
* A public function of ``<app>/services.py`` (or a ``services`` package) does the
  same: every write says who writes (a job passes the system actor).
* In services and tasks, ``save()`` names what it writes (``update_fields=`` or
  ``force_insert=True`` for a new row), so concurrent writers of other columns are
  not overwritten.

Helpers that are not selectors or services are private (``_name``) or live in
another module (a planner, a registry, a formatter).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APPS = [
    "mall/core",
    "ops",
    "ops/reports",
    "ops/backups",
    "ops/monitoring",
    "ops/tickets",
    "rbac",
    "catalog",
    "dispatch",
    "members",
    "orders",
    "payments",
    "risk",
]


def _modules(app: str, name: str) -> list[Path]:
    base = ROOT / app
    found = []
    if (base / f"{name}.py").exists():
        found.append(base / f"{name}.py")
    if (base / name).is_dir():
        found.extend(sorted((base / name).glob("*.py")))
    return found


def _public_functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]


def _actor_violations(path: Path) -> list[str]:
    found = []
    for func in _public_functions(path):
        args = func.args
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        keyword_only = [a.arg for a in args.kwonlyargs]
        if positional or not keyword_only or keyword_only[0] != "actor":
            found.append(
                f"{path.relative_to(ROOT)}:{func.lineno}: {func.name}"
                f"({', '.join(positional)}{' *, ' if keyword_only else ''}"
                f"{', '.join(keyword_only)})"
            )
    return found


def _save_violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "save"
        ):
            names = {kw.arg for kw in node.keywords}
            if not names & {"update_fields", "force_insert"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: save() without fields")
    return found


@pytest.mark.parametrize("app", APPS)
def test_selectors_take_the_actor_as_first_keyword(app):
    violations = [v for path in _modules(app, "selectors") for v in _actor_violations(path)]
    assert violations == []


@pytest.mark.parametrize("app", APPS)
def test_services_take_the_actor_as_first_keyword(app):
    violations = [v for path in _modules(app, "services") for v in _actor_violations(path)]
    assert violations == []


@pytest.mark.parametrize("app", APPS)
def test_services_and_tasks_save_named_fields(app):
    paths = [*_modules(app, "services"), *_modules(app, "tasks")]
    violations = [v for path in paths for v in _save_violations(path)]
    assert violations == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def good(*, actor, order): order.save(update_fields=['note'])\n"
        "def positional(actor, order): pass\n"
        "def no_actor(*, order): pass\n"
        "def late_actor(*, order, actor): pass\n"
        "def unnamed_save(*, actor, order): order.save()\n"
        "def _private(order): pass\n"
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        actor_names = [v.split(": ")[1].split("(")[0] for v in _actor_violations(sample)]
        saves = _save_violations(sample)
    finally:
        ROOT = saved
    assert actor_names == ["positional", "no_actor", "late_actor"]
    assert [v.split(":")[1] for v in saves] == ["5"]
