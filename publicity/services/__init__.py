"""Writes: the only place the publicity rules change data, one module per subject."""
