"""gunicorn's settings for the Procfile's `web:` line; README "The production server" says why.

Any value can be overridden per deployment with GUNICORN_CMD_ARGS, which gunicorn applies over this file.
"""

import os

# Threads, not processes, absorb slow clients: an idle connection waits in the poller without a
# thread, and ivr.worker cuts any request not read and answered within 10 s.
worker_class = "ivr.worker.DeadlineWorker"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)  # 2 processes: one can die, the other answers
threads = int(os.environ.get("WEB_THREADS") or 32)  # per process; each webhook takes a few ms

timeout = 30  # a worker that stops answering its heartbeat for 30 s is replaced
graceful_timeout = 10  # on restart, requests in flight get 10 s (Twilio waits 15)
keepalive = 5  # seconds an idle kept-alive connection (a proxy's) stays open, without a thread

# Twilio's requests are small: our own URLs (under 300 characters), a dozen headers.
limit_request_line = 2048
limit_request_fields = 50
limit_request_field_size = 8190
