"""Referrals to the police and their evidence packs."""
