"""Settlement's api layer: import from the subject modules."""
