"""Settlement's forms layer: import from the subject modules."""
