"""Irai: the Chalice app. Only wiring lives here: routes are blueprints under chalicelib/web/,
the functions no person calls (the mail sender, SES feedback) under chalicelib/jobs/."""
from chalicelib import cold_start

cold_start.install()  # first: services load when a route uses them (chalicelib/cold_start.py)

from chalice import Chalice  # noqa: E402

from chalicelib.jobs import mail  # noqa: E402
from chalicelib.web import (accounts, api, assets, audit, auth, chat, companies, dashboard, health, invoices,  # noqa: E402
                            logs, middleware, points, reports, requests, security, urgency)

app = Chalice(app_name="irai")
logs.configure(app)

for blueprint in (auth.bp, dashboard.bp, accounts.bp, companies.bp, requests.bp, points.bp, invoices.bp, reports.bp,
                  urgency.bp, security.bp, chat.bp, audit.bp, api.bp, assets.bp, health.bp, mail.bp):
    app.register_blueprint(blueprint)

middleware.allow_head(app)  # after every blueprint: HEAD for each GET route
for handler in middleware.ALL:
    app.register_middleware(handler, "http")
