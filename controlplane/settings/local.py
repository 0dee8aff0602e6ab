from .base import *  # noqa: F403

DEBUG = True

if not WEBPUSH_VAPID_PRIVATE_KEY:  # noqa: F405
    from controlplane.vapid import load_or_create

    WEBPUSH_VAPID_PRIVATE_KEY, WEBPUSH_VAPID_PUBLIC_KEY = load_or_create(
        BASE_DIR / ".tandem" / "vapid.json")  # noqa: F405
