"""The project's own machinery: settings, URLconfs, middleware, error pages, the broker, worker
and scheduler, the embedded services and `make run`'s stack, logging and its redaction, storage,
e-mail and Web Push keys, and the templates and static files every page shares. No feature and
no page of its own: the products are controlplane/ (the platform's host), tenants/, practice/,
portal/, billing/ and branding/."""
