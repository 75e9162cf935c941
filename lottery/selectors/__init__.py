"""Reads: lottery sessions, one module per subject."""
