"""Database side: URLs, connecting (read-only), the version table and reflection."""
