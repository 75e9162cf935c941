"""Staff and public pages, one module per subject."""
