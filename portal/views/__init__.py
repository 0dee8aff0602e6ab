"""The client's portal pages (clients only; staff get 404, anonymous people the sign-in page),
except crisis help, which is open to anyone."""
