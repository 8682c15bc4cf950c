"""The web edge: the app factory, one API router and one page router per concept."""
