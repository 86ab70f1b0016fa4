"""One error hierarchy per layer: every exception class in app, models, runtimes
and ui is defined in its layer's errors module and is a WorkbenchError, so the
hierarchy reads in four files and `except WorkbenchError` catches them all."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from models.errors import WorkbenchError

LAYERS = ("models", "runtimes", "app", "ui")


def _modules(package: str) -> list[str]:
    root = importlib.import_module(package)
    return [package] + [m.name for m in pkgutil.walk_packages(root.__path__, package + ".")]


def misplaced_errors(packages: tuple[str, ...], root: type[BaseException]) -> list[str]:
    """'module.Class: why' for each exception class defined outside its package's
    errors module, or not deriving from ``root``."""
    problems = []
    for package in packages:
        for name in _modules(package):
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:  # an optional third-party dependency
                if (exc.name or "").split(".")[0] in packages:
                    raise
                continue
            for cls_name, cls in vars(module).items():
                if not (inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == name):
                    continue
                if name != f"{package}.errors":
                    problems.append(f"{name}.{cls_name}: defined outside {package}/errors.py")
                if not issubclass(cls, root):
                    problems.append(f"{name}.{cls_name}: not a {root.__name__}")
    return problems


def test_every_exception_lives_in_its_layers_errors_module():
    assert misplaced_errors(LAYERS, WorkbenchError) == []


def test_every_layer_has_its_errors_module():
    for layer in LAYERS:
        errors = importlib.import_module(f"{layer}.errors")
        assert any(inspect.isclass(c) and issubclass(c, WorkbenchError) for c in vars(errors).values())


def test_check_catches_a_stray_exception(tmp_path, monkeypatch):
    package = tmp_path / "straylayer"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "errors.py").write_text(
        "from models.errors import WorkbenchError\n\n\n"
        "class Fine(WorkbenchError):\n    pass\n\n\n"
        "class NotRooted(Exception):\n    pass\n"
    )
    (package / "job.py").write_text(
        "from models.errors import WorkbenchError\n\n\nclass Stray(WorkbenchError):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    assert misplaced_errors(("straylayer",), WorkbenchError) == [
        "straylayer.errors.NotRooted: not a WorkbenchError",
        "straylayer.job.Stray: defined outside straylayer/errors.py",
    ]
