"""The browser's JavaScript: node's own test runner for the pure modules, and cache-safe imports.

tests/js/*.test.mjs unit-test the parts of 画面メモ that touch no DOM (geometry, drawing, history)
with `node --test` (node is on every machine that runs `make test`; no test framework, no bundler);
this test runs them, so they fail `make test` like any other test.

The modules import each other by relative path and are served under content-hashed URLs cached for
a year. Threat: after a deploy a browser keeps running a stale module next to fresh ones (a page
half old, half new) because an import named an unhashed, cached URL. So every relative import is
served as the hashed URL of its file, and a module's hash is of what is served: a change to any
module reaches the hash of every module above it, up to the page's <script>.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from chalicelib import templating

ROOT = Path(__file__).resolve().parents[2]
NODE_TESTS = sorted((ROOT / "tests" / "js").glob("*.test.mjs"))
MODULES = sorted(path.relative_to(templating.STATIC_DIR).as_posix() for path in templating.STATIC_DIR.rglob("*.js"))
IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']""")
HASHED = re.compile(r"^/static/(?P<stem>[a-z0-9_-]+/[A-Za-z0-9_-]+)\.(?P<digest>[0-9a-f]{12})\.js$")


def test_the_node_unit_tests_pass():
    node = shutil.which("node")
    assert node, "node (Node.js 18.16+) is needed for tests/js"
    assert {path.name for path in NODE_TESTS} >= {
        "memo_geometry.test.mjs", "memo_history.test.mjs", "memo_drawing.test.mjs"}
    result = subprocess.run([node, "--test", *map(str, NODE_TESTS)], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert re.search(r"^# fail 0$", result.stdout, re.M), result.stdout[-3000:]


def test_the_editor_is_split_into_modules_the_entry_imports():
    served = templating.static_text("js/memo.js")
    assert IMPORT.findall(served), "memo.js imports its modules"
    for name in ("memo-editor", "memo-paint", "memo-geometry", "memo-drawing", "memo-history"):
        assert f"js/{name}.js" in MODULES, name


def test_every_relative_import_is_served_as_the_hashed_url_of_its_file():
    for name in MODULES:
        source = (templating.STATIC_DIR / name).read_text(encoding="utf-8")
        served = templating.static_text(name)
        relative = [spec for spec in IMPORT.findall(source) if spec.startswith((".", "/"))]
        imports = IMPORT.findall(served)
        assert len(imports) == len(relative), (name, imports)
        for spec, url in zip(relative, imports):
            match = HASHED.match(url)
            assert match, (name, spec, url)
            target = f"{match['stem']}.js"
            assert (templating.STATIC_DIR / name).parent.joinpath(spec).resolve() == \
                (templating.STATIC_DIR / target).resolve(), (name, spec, url)
            assert match["digest"] == templating.static_digest(target), (name, url)


def test_a_module_is_hashed_as_served_so_its_imports_hashes_are_in_its_own():
    for name in MODULES:
        digest = hashlib.sha256(templating.static_text(name).encode()).hexdigest()[:12]
        assert templating.static_digest(name) == digest, name
    # memo.js → memo-editor.js → memo-geometry.js → memo-drawing.js: the chain of hashes.
    chain = ["js/memo.js", "js/memo-editor.js", "js/memo-geometry.js", "js/memo-drawing.js"]
    for importer, imported in zip(chain, chain[1:]):
        assert templating.static_url(imported) in templating.static_text(importer), (importer, imported)


def test_other_files_are_served_and_hashed_as_they_are():
    for name in ("css/app.css", "js/uploads.js", "img/icon.svg"):
        path = templating.STATIC_DIR / name
        assert templating.static_text(name) == path.read_text(encoding="utf-8"), name
        assert templating.static_digest(name) == hashlib.sha256(path.read_bytes()).hexdigest()[:12], name
