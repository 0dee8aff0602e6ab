"""Staff pages for clients' portal access (`/clients/`): invite, resend, revoke."""
