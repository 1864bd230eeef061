"""Finding and loading a project: a Flask app with Flask-Migrate, or plain Alembic."""
