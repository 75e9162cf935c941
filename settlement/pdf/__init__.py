"""Settlement's pdf layer: import from the subject modules."""
