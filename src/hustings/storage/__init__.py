"""Storage: SQLAlchemy tables, repositories behind the domain's interfaces, Alembic migrations."""
