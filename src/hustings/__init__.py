"""Hustings: protects people in public life from intimidation."""

__version__ = "0.1.0"
