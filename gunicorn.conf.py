"""gunicorn settings for the app servers: `gunicorn --config gunicorn.conf.py wsgi:app` (make cluster, the benchmarks).

Measured on the 2-core machine (bench/deadline_rush.py, README "Deadline rush"): the tail latency under a rush came
from how gthread workers accept connections, not from the app. A gthread worker accepts every connection it
sees, up to `worker_connections` (1,000 by default), and queues them behind its own threads: one worker ends up
with a long queue while another idles, and the requests at the back of the long queue make the p99. Capping
`worker_connections` at the number of threads makes a worker accept only what it can start at once, so waiting
requests stay in the kernel's accept queue, served first come, first served by whichever worker is free.
"""

import gc
import os

workers = int(os.environ.get("GUNICORN_WORKERS", 4))  # 2 per core: a request waits on the database half the time
threads = int(os.environ.get("GUNICORN_THREADS", 8))
worker_class = "gthread"
worker_connections = threads
backlog = 2048
timeout = 120
# Behind the load balancer each request comes on its own connection (HAProxy: http-server-close), and with
# worker_connections = threads a kept-alive idle connection would hold a thread.
keepalive = 0


def post_worker_init(worker: object) -> None:
    # Everything loaded at start-up (the app, WeasyPrint, SQLAlchemy's metadata) moves to a permanent generation:
    # the collector then no longer walks it on every full collection, which pauses all of a worker's threads.
    gc.freeze()
