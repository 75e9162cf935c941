"""Views of the shared pieces, by subject."""
