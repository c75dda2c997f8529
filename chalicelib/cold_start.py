"""What a cold start imports: what the first request needs, and the rest when a route uses it.

Chalice registers every route when app.py is imported, so app.py imports every web module, and
those import the services of all their routes: the invoices, reports, chat and search code ran on
every cold start, for a GET /login that uses none of it. ``install`` makes each service module
lazy with the standard library's ``importlib.util.LazyLoader``: ``from chalicelib.services import
invoices`` still binds the module, and its body runs at the first read of one of its names. The
import lines stay as they are, at the top of each module.

Models are imported at once, every one of them: a query of one partition (a request with its
thread, files and 見積) gets items of several types, and PynamoDB types each by its discriminator,
which knows only the classes already defined.

``LazyLoader`` is not thread-safe before Python 3.12 (a second thread can read a module whose
body is still running). A Lambda container handles one request at a time; a server that answers
on several threads (local mode, the tests) calls ``load_all`` once the app is imported.

One more import is left out: botocore takes urllib3's SSLContext from ``urllib3.contrib.pyopenssl``
when pyOpenSSL is installed (webauthn needs it), which imports pyOpenSSL and cryptography's X.509
code, about a tenth of a cold start. Under urllib3 2 that module's ``orig_util_SSLContext`` is
``urllib3.util.ssl_.SSLContext``, botocore's fallback, so the answer is the same class. webauthn
imports pyOpenSSL itself, on the first passkey ceremony.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import pkgutil
import sys
import types

LAZY_PREFIX = "chalicelib.services."
SKIPPED = "urllib3.contrib.pyopenssl"


class _LazyServices(importlib.abc.MetaPathFinder):
    """Finds service modules as the path finder does, with a lazy loader around its loader."""

    def find_spec(self, name, path, target=None):
        if not name.startswith(LAZY_PREFIX):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def install() -> None:
    """Before app.py imports anything else. Safe to call again."""
    sys.modules.setdefault(SKIPPED, None)  # an import of it raises ImportError: botocore's fallback
    from chalicelib import models

    for module in pkgutil.iter_modules(models.__path__):
        importlib.import_module(f"{models.__name__}.{module.name}")
    if not any(isinstance(finder, _LazyServices) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LazyServices())


def waiting() -> list[str]:
    """Names of the modules imported lazily whose bodies have not run yet."""
    return sorted(name for name, module in list(sys.modules.items())
                  if isinstance(module, types.ModuleType) and type(module) is not types.ModuleType
                  and name.startswith(LAZY_PREFIX))


def load_all() -> None:
    """Run every service module's body now, for a server that answers on several threads."""
    from chalicelib import services

    for module in pkgutil.iter_modules(services.__path__):
        importlib.import_module(f"{services.__name__}.{module.name}")
    for name in waiting():
        getattr(sys.modules[name], "__name__")  # the first read runs the body
