"""Database: SQLAlchemy models and engine creation (SQLite by default, PostgreSQL in production)."""
