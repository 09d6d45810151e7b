"""The WSGI entry point for a production server: `gunicorn 'qa_app.wsgi:app'`."""

import gc

from qa_app import create_app, require_secret_key

app = create_app()
require_secret_key(app)

# What start-up built (modules, models, the app) lives as long as the process. Freezing it
# keeps the collector's full passes short, so they no longer pause a large page for tens
# of milliseconds; forked workers also keep sharing those pages of memory.
gc.freeze()
