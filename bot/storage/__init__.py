"""Storage: the SQLAlchemy schema, its migrations, the store, the audit chain and the inbox."""
