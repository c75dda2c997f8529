"""Route guards: who may open a page. Every signed-in page goes through ``signed_in_page``."""
from __future__ import annotations

import functools
from typing import Callable
from urllib.parse import quote

from chalicelib.errors import Forbidden, NotFound, ServiceUnavailable
from chalicelib.web import context
from chalicelib.web.forms import BadForm
from chalicelib.web.responses import error_page, redirect

# Pages that an account which must still change its password may open.
PASSWORD_CHANGE_PATHS = ("/password", "/logout")
# Pages that an account which must still set up 2段階認証 may open (besides those above).
ENROL_PATHS_PREFIX = "/account/security"


def handle_errors(view: Callable) -> Callable:
    """Map domain errors to their error pages, so views only handle what they expect."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except NotFound:
            return error_page(404)
        except Forbidden:
            return error_page(403)
        except BadForm as error:
            return error_page(400, error.message_key)
        except ServiceUnavailable:
            return error_page(503, "service.unavailable")
    return wrapper


def signed_in_page(view: Callable) -> Callable:
    """The view runs only for a live session; it receives it as ``me``.

    Without a session the browser goes to the login page (and back afterwards); an account that
    must change its password reaches nothing but the password change and logout, and one that must
    set up 2段階認証 nothing but that. A session still waiting for its second factor is not signed in.
    """
    @functools.wraps(view)
    @handle_errors
    def wrapper(*args, **kwargs):
        me = context.signed_in()
        request = context.request()
        path = request.context.get("resourcePath", "/")
        if me is None:
            if context.session() is not None:  # the password was right; the second factor is next
                return redirect("/login/second")
            target = "/login"
            if request.method in ("GET", "HEAD") and path != "/":
                target += "?next=" + quote(request.context.get("path", path))
            return redirect(target)
        if me.user.must_change_password and path not in PASSWORD_CHANGE_PATHS:
            return redirect("/password")
        if (me.session.enrol_required and not me.user.two_factor and path not in PASSWORD_CHANGE_PATHS
                and not path.startswith(ENROL_PATHS_PREFIX)):
            return redirect(ENROL_PATHS_PREFIX)
        return view(*args, me=me, **kwargs)
    return wrapper
