"""Fixtures shared by every test folder live here; plain helpers are in ``support``."""
