"""Reads used by more than one caller, one module per subject."""
