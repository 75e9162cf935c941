"""Settlement's export layer: import from the subject modules."""
