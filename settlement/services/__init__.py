"""Settlement's services layer: import from the subject modules."""
