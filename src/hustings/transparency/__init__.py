"""Transparency reports and DSA statements of reasons, computed from the event log only."""
