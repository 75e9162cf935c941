"""Settlement's selectors layer: import from the subject modules."""
