"""localstripe, plus a stand-in for the few Stripe endpoints it lacks: the suite's Stripe, and
`make run`'s (config/devstack.py), never production's (it is only ever run as a script).

Run as `python -m billing.devstripe --port N [--webhook-url URL --webhook-secret S]
[--store PATH]`. localstripe (a stateful fake Stripe server)
answers customers, products, plans, subscriptions, coupons and invoices. Beside it, for what
localstripe does not have:

- /v1/prices: Prices (with lookup keys). Each price is also created as a localstripe Plan with the
  same id, so subscriptions can be made on it (as in Stripe, where a price id works as a plan id).
- /v1/checkout/sessions and /v1/billing_portal/sessions: sessions with a `url`, remembered so a
  test can read back what was asked.
- `discounts` on a subscription update (applying a coupon).
- /_config/test/subscriptions/{id}: set a subscription's status and dates, standing in for what
  Stripe's test clocks and failing cards would do over days; sends `customer.subscription.updated`.
- /_config/checkout/{id}: the page a Checkout session's `url` leads to. "Pay with the test card"
  adds the card 4242 4242 4242 4242 to the customer, makes the subscription (carrying the session's
  trial_end over, as Stripe does), completes the session, sends `checkout.session.completed` and
  goes back to the session's success_url; "Cancel" goes back to its cancel_url.

With --webhook-url, every event (localstripe's own and the ones above) is posted there, signed
with --webhook-secret as Stripe signs. The store stays in memory (the suite), or with --store is
kept in that file across restarts (`make run`: customers and prices outlive a Ctrl-C).
"""

from __future__ import annotations

import argparse
import html
import json
import pickle
import secrets
import socket
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe import resources, server, webhooks
from localstripe.errors import UserError

resources.Store.dump_to_disk = lambda self: None
STORE_PATH: Path | None = None

PRICES: dict[str, dict[str, Any]] = {}
CHECKOUT_SESSIONS: dict[str, dict[str, Any]] = {}
PORTAL_SESSIONS: dict[str, dict[str, Any]] = {}
BASE_URL = ""


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


async def _data(request: web.Request) -> dict[str, Any]:
    data = await server.get_post_data(request)
    return dict(data or {})


def _query(request: web.Request) -> dict[str, Any]:
    return dict(server.unflatten_data(request.query) or {})


def _bool(value: Any) -> Any:
    return resources.try_convert_to_bool(value)


async def price_create(request: web.Request) -> web.Response:
    data = await _data(request)
    recurring = data.get("recurring") or {}
    lookup_key = data.get("lookup_key")
    if lookup_key and _bool(data.get("transfer_lookup_key", False)):
        for price in PRICES.values():
            if price["lookup_key"] == lookup_key:
                price["lookup_key"] = None
    elif lookup_key and any(p["lookup_key"] == lookup_key for p in PRICES.values()):
        raise UserError(400, "A price with this lookup_key already exists")
    price_id = _id("price")
    amount = int(data["unit_amount"])
    resources.Plan(id=price_id, product=data["product"], amount=amount,
                   currency=data["currency"], interval=recurring.get("interval", "month"))
    PRICES[price_id] = {
        "id": price_id, "object": "price", "active": True, "product": data["product"],
        "unit_amount": amount, "currency": data["currency"], "type": "recurring",
        "recurring": {"interval": recurring.get("interval", "month"), "interval_count": 1},
        "lookup_key": lookup_key, "metadata": data.get("metadata") or {},
        "created": int(time.time()), "livemode": False,
    }
    _save()
    return server.json_response(PRICES[price_id])


def price_list(request: web.Request) -> web.Response:
    query = _query(request)
    prices = list(PRICES.values())
    lookup_keys = query.get("lookup_keys")
    if lookup_keys is not None:
        wanted = lookup_keys if isinstance(lookup_keys, list) else [lookup_keys]
        prices = [p for p in prices if p["lookup_key"] in wanted]
    if query.get("active") is not None:
        prices = [p for p in prices if p["active"] == _bool(query["active"])]
    return server.json_response(
        {"object": "list", "data": prices, "has_more": False, "url": "/v1/prices"}
    )


def price_retrieve(request: web.Request) -> web.Response:
    price = PRICES.get(request.match_info["id"])
    if price is None:
        raise UserError(404, "Not Found")
    return server.json_response(price)


async def price_update(request: web.Request) -> web.Response:
    price = PRICES.get(request.match_info["id"])
    if price is None:
        raise UserError(404, "Not Found")
    data = await _data(request)
    if "active" in data:
        price["active"] = _bool(data["active"])
    if "metadata" in data:
        price["metadata"].update(data["metadata"] or {})
    if "lookup_key" in data:
        if _bool(data.get("transfer_lookup_key", False)):
            for other in PRICES.values():
                if other["lookup_key"] == data["lookup_key"]:
                    other["lookup_key"] = None
        price["lookup_key"] = data["lookup_key"] or None
    _save()
    return server.json_response(price)


async def checkout_session_create(request: web.Request) -> web.Response:
    data = await _data(request)
    if data.get("mode") != "subscription" or not data.get("line_items"):
        raise UserError(400, "Bad request")
    for item in data["line_items"]:
        if item.get("price") not in PRICES:
            raise UserError(400, "No such price")
    if data.get("customer"):
        resources.Customer._api_retrieve(data["customer"])
    session_id = _id("cs_test")
    session = {
        **data, "id": session_id, "object": "checkout.session", "status": "open",
        "url": f"{BASE_URL}/_config/checkout/{session_id}", "subscription": None,
        "created": int(time.time()), "livemode": False,
    }
    CHECKOUT_SESSIONS[session_id] = session
    _save()
    return server.json_response(session)


def checkout_session_retrieve(request: web.Request) -> web.Response:
    session = CHECKOUT_SESSIONS.get(request.match_info["id"])
    if session is None:
        raise UserError(404, "Not Found")
    return server.json_response(session)


async def portal_session_create(request: web.Request) -> web.Response:
    data = await _data(request)
    resources.Customer._api_retrieve(data.get("customer", ""))
    session_id = _id("bps")
    session = {
        **data, "id": session_id, "object": "billing_portal.session",
        "url": f"{BASE_URL}/_config/portal/{session_id}", "created": int(time.time()),
        "livemode": False,
    }
    PORTAL_SESSIONS[session_id] = session
    _save()
    return server.json_response(session)


def portal_session_retrieve(request: web.Request) -> web.Response:
    session = PORTAL_SESSIONS.get(request.match_info["id"])
    if session is None:
        raise UserError(404, "Not Found")
    return server.json_response(session)


async def subscription_set(request: web.Request) -> web.Response:
    """Test control: set a subscription's status and dates (what days of real time would do)."""
    subscription = resources.Subscription._api_retrieve(request.match_info["id"])
    data = json.loads(await request.text() or "{}")
    for name in ("status", "trial_end", "cancel_at", "canceled_at", "ended_at"):
        if name in data:
            setattr(subscription, name, data[name])
    _save()
    webhooks.schedule_webhook(resources.Event("customer.subscription.updated", subscription))
    return server.json_response(subscription._export())


class _Plain:
    """An object localstripe's Event can carry (it exports `data` itself)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def _export(self) -> dict[str, Any]:
        return dict(self.body)


CHECKOUT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Test checkout</title></head><body>
<main><h1>Test checkout (localstripe)</h1>
<p>This is the local stand-in for Stripe Checkout: nothing is charged and no card leaves this
machine. Plan: <strong>{price}</strong> ({amount} {currency} a {interval}).</p>
<form method="post"><input type="hidden" name="action" value="pay">
<button type="submit">Pay with the test card 4242 4242 4242 4242</button></form>
<form method="post"><input type="hidden" name="action" value="cancel">
<button type="submit">Cancel and go back</button></form></main></body></html>"""


def checkout_page(request: web.Request) -> web.Response:
    session = CHECKOUT_SESSIONS.get(request.match_info["id"])
    if session is None or session["status"] != "open":
        raise web.HTTPNotFound(text="This checkout session is not open.")
    price = PRICES[session["line_items"][0]["price"]]
    return web.Response(content_type="text/html", text=CHECKOUT_PAGE.format(
        price=html.escape(str(price["lookup_key"] or price["id"])),
        amount=f"{price['unit_amount'] / 100:.2f}", currency=price["currency"].upper(),
        interval=price["recurring"]["interval"]))


async def checkout_submit(request: web.Request) -> web.Response:
    session = CHECKOUT_SESSIONS.get(request.match_info["id"])
    if session is None or session["status"] != "open":
        raise web.HTTPNotFound(text="This checkout session is not open.")
    form = await request.post()
    if form.get("action") != "pay":
        session["status"] = "expired"
        raise web.HTTPSeeOther(session["cancel_url"])
    customer_id = session["customer"]
    token = resources.Token(card={"number": "4242424242424242", "exp_month": "12",
                                  "exp_year": "2034", "cvc": "123"})
    resources.Customer._api_add_source(customer_id, source=token.id)
    subscription_data = session.get("subscription_data") or {}
    trial_end = subscription_data.get("trial_end")
    fields: dict[str, Any] = {
        "customer": customer_id,
        "items": [{"plan": session["line_items"][0]["price"], "quantity": 1}],
        "metadata": subscription_data.get("metadata") or {},
    }
    if trial_end and int(trial_end) > time.time():
        fields["trial_end"] = int(trial_end)
    subscription = resources.Subscription._api_create(**fields)
    if "trial_end" in fields:
        subscription.status = "trialing"  # as Stripe has it (localstripe leaves "incomplete")
    session.update(status="complete", payment_status="paid", subscription=subscription.id)
    _save()
    webhooks.schedule_webhook(resources.Event("checkout.session.completed", _Plain(session)))
    raise web.HTTPSeeOther(session["success_url"])


def portal_page(request: web.Request) -> web.Response:
    session = PORTAL_SESSIONS.get(request.match_info["id"])
    if session is None:
        raise web.HTTPNotFound(text="No such portal session.")
    back = html.escape(str(session.get("return_url", "")), quote=True)
    return web.Response(content_type="text/html", text=(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer portal'
        '</title></head><body><main><h1>Customer portal (localstripe)</h1><p>The local '
        "stand-in for Stripe's Customer Portal: cards and invoices live in Stripe. "
        f'<a href="{back}">Back to the practice</a></p></main></body></html>'))


def _save() -> None:
    """Keep the store, prices and sessions in --store (make run), if given."""
    if STORE_PATH is None:
        return
    temporary = STORE_PATH.with_suffix(".tmp")
    with temporary.open("wb") as file:
        pickle.dump((dict(resources.store), PRICES, CHECKOUT_SESSIONS, PORTAL_SESSIONS), file,
                    protocol=pickle.HIGHEST_PROTOCOL)
    temporary.replace(STORE_PATH)


def _load(path: Path) -> None:
    global STORE_PATH
    STORE_PATH = path
    if path.exists():
        store, prices, checkouts, portals = pickle.loads(path.read_bytes())  # our own file
        dict.update(resources.store, store)
        PRICES.update(prices)
        CHECKOUT_SESSIONS.update(checkouts)
        PORTAL_SESSIONS.update(portals)
    resources.Store.dump_to_disk = lambda self: _save()


@web.middleware
async def subscription_discounts(request: web.Request, handler: Any) -> web.StreamResponse:
    """POST /v1/subscriptions/{id} with `discounts`: localstripe has no coupons on
    subscriptions; apply the coupon here and pass any other fields on."""
    parts = request.path.strip("/").split("/")
    if request.method == "POST" and len(parts) == 3 and parts[:2] == ["v1", "subscriptions"]:
        data = await server.get_post_data(request) or {}
        discounts = data.get("discounts")
        if discounts:
            subscription = resources.Subscription._api_retrieve(parts[2])
            coupon = resources.Coupon._api_retrieve(discounts[0]["coupon"])
            subscription.discount = {"object": "discount", "coupon": coupon._export(),
                                     "customer": subscription.customer}
            rest = {k: v for k, v in data.items() if k not in ("discounts", "expand")}
            if rest:
                resources.Subscription._api_update(parts[2], **rest)
            return server.json_response(subscription._export())
    return await handler(request)


def build_app(base_url: str) -> web.Application:
    global BASE_URL
    BASE_URL = base_url
    app = server.app
    app.middlewares.append(subscription_discounts)
    router = app.router
    router.add_post("/v1/prices", price_create)
    router.add_get("/v1/prices", price_list)
    router.add_get("/v1/prices/{id}", price_retrieve)
    router.add_post("/v1/prices/{id}", price_update)
    router.add_post("/v1/checkout/sessions", checkout_session_create)
    router.add_get("/v1/checkout/sessions/{id}", checkout_session_retrieve)
    router.add_post("/v1/billing_portal/sessions", portal_session_create)
    router.add_get("/v1/billing_portal/sessions/{id}", portal_session_retrieve)
    router.add_post("/_config/test/subscriptions/{id}", subscription_set)
    # Pages a browser opens (localstripe asks for an API key everywhere but /_config/).
    router.add_get("/_config/checkout/{id}", checkout_page)
    router.add_post("/_config/checkout/{id}", checkout_submit)
    router.add_get("/_config/portal/{id}", portal_page)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="")
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    if args.store is not None:
        _load(args.store)
    if args.webhook_url:
        webhooks.register_webhook("tandem", args.webhook_url, args.webhook_secret, None)
    app = build_app(f"http://127.0.0.1:{args.port}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    web.run_app(app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
