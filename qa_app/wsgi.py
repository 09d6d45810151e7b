"""The WSGI entry point for a production server: `gunicorn 'qa_app.wsgi:app'`."""

from qa_app import create_app, require_secret_key

app = create_app()
require_secret_key(app)
