"""Pages of forms: the builder and the staff's view of shared forms (`/documents/forms/`), and
the client's forms in the portal (`/portal/documents/forms/`)."""
