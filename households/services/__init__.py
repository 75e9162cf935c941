"""Every write to the registry, one module per subject; each takes the acting user as `actor`."""
