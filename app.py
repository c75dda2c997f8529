"""Irai: the Chalice app. Only wiring lives here; routes are blueprints under chalicelib/web/."""
from chalice import Chalice

from chalicelib.web import accounts, api, assets, auth, dashboard, logs, middleware, requests

app = Chalice(app_name="irai")
logs.configure(app)

for blueprint in (auth.bp, dashboard.bp, accounts.bp, requests.bp, api.bp, assets.bp):
    app.register_blueprint(blueprint)

for handler in middleware.ALL:
    app.register_middleware(handler, "http")
