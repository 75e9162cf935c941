"""The registry's REST API, one module per subject (routes in households.api_urls)."""
