"""The wheel is complete: built from the checkout, installed into a clean virtualenv outside
it, it imports every module, migrates a fresh PostgreSQL database and answers /readyz."""
from __future__ import annotations

import ast
import configparser
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import ROOT, free_port, run, wait_for

PACKAGES = ("consent_service", "cookies", "dsar", "datamap", "backoffice", "preferences", "proofs")


def imported_libraries() -> set[str]:
    """Top-level names the service's packages and migrations import, outside the standard library."""
    names = set()
    for package in (*PACKAGES, "migrations"):
        for path in (Path(ROOT) / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in PACKAGES}


def declared_distributions() -> set[str]:
    setup = configparser.ConfigParser()
    setup.read(Path(ROOT) / "setup.cfg")
    lines = [line.strip() for line in setup["options"]["install_requires"].splitlines()]
    return {re.split(r"[\[<>=!~ ]", line)[0].lower().replace("_", "-") for line in lines if line and line[0] != "#"}


def test_every_imported_library_is_declared():
    """Each library the code imports is named in install_requires, not only reached through
    another one's dependencies (which may drop it in any release)."""
    providers = importlib.metadata.packages_distributions()
    undeclared = {name: providers.get(name) for name in imported_libraries()
                  if not {d.lower().replace("_", "-") for d in providers.get(name, [])} & declared_distributions()}
    assert undeclared == {}


def test_the_installed_package_is_not_the_checkout(installed):
    where = run(str(installed / "venv/bin/python"), "-c", "import consent_service; print(consent_service.__file__)",
                env={"PATH": os.environ["PATH"]}, cwd=installed)
    assert where.startswith(str(installed / "venv")) and not where.startswith(ROOT)


def test_every_module_imports_with_the_declared_dependencies(installed):
    script = ("import importlib, pkgutil\n"
              f"for name in {PACKAGES!r}:\n"
              "    package = importlib.import_module(name)\n"
              "    for module in pkgutil.walk_packages(package.__path__, name + '.'):\n"
              "        importlib.import_module(module.name)\n"
              "print('imported')")
    assert "imported" in run(str(installed / "venv/bin/python"), "-c", script, env={"PATH": os.environ["PATH"]},
                             cwd=installed)


def test_the_installed_service_migrates_a_fresh_database_and_is_ready(installed, fresh_postgres):
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": fresh_postgres, "SECRET_KEY": "package-test-key"}
    bin_ = installed / "venv/bin"
    run(str(bin_ / "flask"), "--app", "consent_service", "db", "upgrade", env=env, cwd=installed)
    assert "settings are valid" in run(str(bin_ / "flask"), "--app", "consent_service", "config", "check",
                                       env=env, cwd=installed)
    port = free_port()
    web = subprocess.Popen([str(bin_ / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                            "consent_service:create_app()"], env=env, cwd=installed,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/readyz")
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_the_wheel_carries_the_license_and_the_migrations(installed):
    wheel, = (installed / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "consent_service/migrations/env.py" in names and "consent_service/migrations/alembic.ini" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") or name.endswith(".dist-info/LICENSE") for name in names)
    history = {f"consent_service/migrations/versions/{path.name}"
               for path in (Path(ROOT) / "migrations" / "versions").glob("*.py")}
    assert len(history) >= 13 and history <= names  # every revision of the source, not a stale copy
