"""Plans, subscriptions and Stripe events (public schema)."""
