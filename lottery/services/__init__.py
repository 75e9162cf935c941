"""Writes: every change to a lottery session, one module per subject."""
