"""Settlement's views layer: import from the subject modules."""
