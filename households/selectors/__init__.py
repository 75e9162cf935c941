"""Reads used by more than one caller, with their joins inside so no caller makes N+1."""
