"""Gunicorn settings for serving the site in production:
`gunicorn -c gunicorn.conf.py 'qa_app.wsgi:app'`.

Each value can be changed with the environment variable named beside it. Gunicorn reads
this file as Python before it starts any worker.
"""

import multiprocessing
import os

from qa_app.serving import hide_gunicorn_version

# Where to listen. Put a reverse proxy that ends HTTPS (nginx, a load balancer) in front:
# the session cookie is marked Secure.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Worker processes: WEB_CONCURRENCY, else two per core plus one, at most eight. Each worker
# is a separate Python process holding its own database connections.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Threads in each worker, so a slow download or letter PDF does not hold up other people.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

# A request still running after `timeout` seconds gets its worker restarted; large imports
# and exports fit well inside two minutes. Workers finishing requests on a restart get
# `graceful_timeout` seconds. Idle keep-alive connections from the proxy close after 5 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Restart each worker after this many requests (with jitter, so not all at once): memory
# a worker gained on one large import is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Load the app once in the master, then fork: a bad setting (no SECRET_KEY, a wrong
# DATABASE_URL) stops start-up with one clear line, and workers share the loaded code.
preload_app = True

# Forwarded headers. Gunicorn believes X-Forwarded-Proto (so the app knows a request came
# over HTTPS) only from these proxy addresses. The person's own address, for sign-in
# limits and the audit log, comes from X-Forwarded-For through the app's TRUSTED_PROXIES
# setting (the number of proxies in front), not from gunicorn.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# Logs go to standard output and error, for the service manager to collect. The access
# log records request lines, which hold record ids and pseudonymous references, never a
# child's name.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Send `Server: ehcp-qa`, never gunicorn's name or version (qa_app/serving.py).
hide_gunicorn_version()
