"""The demo's addresses and password, importable without Django (make run prints them)."""

DEMO_SUBDOMAIN = "demo"
DEMO_PASSWORD = "tandem-demo-2026"
OPERATOR_EMAIL = "operator@tandem.localhost"
BILLING_STAFF_EMAIL = "billing@tandem.localhost"
# The demo billing staff's authenticator key (hex, as django-otp stores it); `make run` prints it
# in base32 for an authenticator app. A demo account only: real ones enrol their own.
DEMO_BILLING_TOTP_KEY = "3132333435363738393031323334353637383930"


def demo_billing_totp_secret() -> str:
    import base64

    return base64.b32encode(bytes.fromhex(DEMO_BILLING_TOTP_KEY)).decode()
DEMO_LOGINS = [
    ("owner", "owner@demo.localhost"),
    ("clinician", "clinician@demo.localhost"),
    ("front desk", "frontdesk@demo.localhost"),
    ("client", "client@demo.localhost"),
]
