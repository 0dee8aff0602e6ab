"""The demo's addresses and password, importable without Django (make run prints them)."""

DEMO_SUBDOMAIN = "demo"
DEMO_PASSWORD = "tandem-demo-2026"
OPERATOR_EMAIL = "operator@tandem.localhost"
BILLING_STAFF_EMAIL = "billing@tandem.localhost"
DEMO_LOGINS = [
    ("owner", "owner@demo.localhost"),
    ("clinician", "clinician@demo.localhost"),
    ("front desk", "frontdesk@demo.localhost"),
    ("client", "client@demo.localhost"),
]
