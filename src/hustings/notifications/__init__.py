"""Notifications: in the app (a count in the header and a list per user) and by e-mail."""
