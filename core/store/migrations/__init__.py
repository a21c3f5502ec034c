"""Alembic migrations of the study database, shipped inside the package."""
