"""Targets: the protected people (candidates, MPs, councillors, mayors, staff) Hustings centres on."""
