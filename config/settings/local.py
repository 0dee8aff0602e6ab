from .base import *  # noqa: F403
from .base import STRIPE_SECRET_KEY, WEBPUSH_VAPID_PRIVATE_KEY

DEBUG = True

if not WEBPUSH_VAPID_PRIVATE_KEY:
    from config.vapid import load_or_create

    WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = load_or_create(
        BASE_DIR / ".tandem" / "vapid.json")  # noqa: F405

# `make run` plays Stripe with localstripe (config/devstack.py) and leaves its address and
# test keys here while it runs, so `manage.py billing_demo …` in another terminal reaches it.
if not STRIPE_SECRET_KEY:
    import json

    _local_stripe = BASE_DIR / ".tandem" / "localstripe.json"  # noqa: F405
    if _local_stripe.exists():
        _values = json.loads(_local_stripe.read_text())
        STRIPE_SECRET_KEY = _values["STRIPE_SECRET_KEY"]
        STRIPE_WEBHOOK_SECRET = _values["STRIPE_WEBHOOK_SECRET"]
        STRIPE_API_BASE = _values["STRIPE_API_BASE"]
