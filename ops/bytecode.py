"""Add compiled templates and bytecode to a Lambda deployment zip, so cold starts compile nothing.

    .venv/bin/python -m ops.bytecode dist/deployment.zip --chalice-cache .chalice/deployments

Templates first: parsing and compiling a page's templates was most of a container's first request
beyond what any Chalice app pays (building the DynamoDB client). Every template of the zip's
templates/ is compiled with the pages' own environment (`templating.configured`, so escaping and
filters are as at run time) into `templates_compiled/tmpl_<sha1 of its name>.py`, the modules
Jinja's ModuleLoader reads (`templating.environment` uses them when that folder exists); the
bytecode step below then compiles those modules too.

Lambda's code directory is read-only: without .pyc files in the package, every cold start
compiles every module it imports, which costs more than the import itself. Chalice ships sources
only, so `make package` adds `__pycache__/*.cpython-<version>.pyc` beside each .py. They are
checked-hash pycs (PEP 552): Python uses one only if the hash of the .py beside it matches, so a
stale or foreign pyc is ignored instead of running the wrong code, and the zip's 2-second file
times (which would defeat timestamp pycs) do not matter. Run it with the Python of the Lambda
runtime (the one `chalice package` ran with): a pyc is only read by the version that wrote it.

`chalice deploy` uploads the zip it keeps in .chalice/deployments (named by a hash of the
requirements, app.py, chalicelib/ and vendor/) when one exists for the current code, and
`chalice package` copies that same zip to dist/. With --chalice-cache the cached zip identical
to the given one gets the same additions, so a `chalice deploy` right after `make package` ships them.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # what py_compile itself uses
from pathlib import Path

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same bytes for the same sources: reproducible packages
TEMPLATES, COMPILED = "templates/", "templates_compiled/"  # folders of the zip


def add_bytecode(zip_path: Path) -> int:
    """Compile every .py in the zip that has no pyc yet; returns how many were added."""
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        compiled = {}
        for name in sorted(n for n in names if n.endswith(".py")):
            target = importlib.util.cache_from_source(name)
            if target in names:
                continue
            source = archive.read(name)
            try:
                code = compile(source, name, "exec", dont_inherit=True)
            except SyntaxError:
                continue  # Python would fail on it too; some packages carry templates named .py
            compiled[target] = _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=True)
    _append(zip_path, compiled)
    return len(compiled)


def add_compiled_templates(zip_path: Path) -> int:
    """Compile every template in the zip's templates/ into templates_compiled/; returns how many."""
    from jinja2 import DictLoader, ModuleLoader

    from chalicelib import templating

    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        sources = {name.removeprefix(TEMPLATES): archive.read(name).decode("utf-8")
                   for name in names if name.startswith(TEMPLATES) and not name.endswith("/")}
    environment = templating.configured(DictLoader(sources))
    modules = {}
    for name, source in sorted(sources.items()):
        target = COMPILED + ModuleLoader.get_module_filename(name)
        if target not in names:  # a syntax error raises: a package never ships a broken page
            modules[target] = environment.compile(source, name, name, raw=True, defer_init=True).encode("utf-8")
    _append(zip_path, modules)
    return len(modules)


def _append(zip_path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for target, data in files.items():
            info = zipfile.ZipInfo(target, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def cached_twin(zip_path: Path, cache_dir: Path) -> Path | None:
    """The zip in chalice's deployment cache with the same bytes as ``zip_path``, if any."""
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    for candidate in sorted(cache_dir.glob("*.zip")) if cache_dir.is_dir() else []:
        if candidate.stat().st_size == zip_path.stat().st_size and \
                hashlib.sha256(candidate.read_bytes()).hexdigest() == digest:
            return candidate
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path)
    parser.add_argument("--chalice-cache", type=Path, help="also add it to the identical zip in this folder")
    args = parser.parse_args(argv)
    targets = [args.zip]
    twin = cached_twin(args.zip, args.chalice_cache) if args.chalice_cache else None
    if twin is not None:
        targets.append(twin)
    for target in targets:
        templates = add_compiled_templates(target)
        added = add_bytecode(target)
        print(f"{target}: {templates} templates compiled; bytecode for Python "
              f"{sys.version_info.major}.{sys.version_info.minor} added to {added} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
