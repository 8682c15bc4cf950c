"""Users, roles, API tokens, browser sessions and the access log."""

from hustings.auth.model import Principal, Role, User

__all__ = ["Principal", "Role", "User"]
