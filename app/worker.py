"""Celery workers for the background jobs (JOBS_BACKEND=celery), with Redis as the broker.

Start a worker (on any host that reaches the database, Redis and the storage) with:

    celery -A app.worker worker --pool solo --hostname worker1@%h

Each worker process builds the app from the environment (the same variables as the web servers) and runs
`app.jobs.execute(job_id)` for each message. Messages carry only the job's id: the job itself is a database
row, so any worker can take any job, and the progress every app server shows comes from the database.

Reliability: messages are acknowledged after the job ran (`task_acks_late`), and a message whose worker was
lost is delivered again (`task_reject_on_worker_lost`; with Redis, after CELERY_VISIBILITY_TIMEOUT seconds for a
worker killed outright). Each worker also sweeps, every JOBS_SWEEP_SECONDS, for jobs whose message was lost
(queued while Redis was down) and sends them again; `app.jobs` makes a job that is delivered twice run once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from celery import Celery, signals
from flask import Flask

log = logging.getLogger(__name__)

TASK_NAME = "eurogrants.run_job"
QUEUE = "eurogrants"

celery = Celery("eurogrants")
_app: Flask | None = None
_app_lock = threading.Lock()


def configure(config: Mapping[str, Any]) -> Celery:
    """Point the Celery app at the broker and reliability settings of an app's configuration."""
    broker = config.get("CELERY_BROKER_URL") or config.get("REDIS_URL")
    if not broker:
        raise RuntimeError("JOBS_BACKEND=celery needs CELERY_BROKER_URL or REDIS_URL")
    visibility = int(config.get("CELERY_VISIBILITY_TIMEOUT", 300))
    celery.conf.update(
        broker_url=broker,
        task_default_queue=QUEUE,
        task_acks_late=True,  # acknowledged once the job ran: a worker that dies leaves the message in Redis
        task_reject_on_worker_lost=True,  # a pool process that dies gives its message back at once
        worker_prefetch_multiplier=1,  # a worker holds only the message it is working on
        task_ignore_result=True,  # the outcome is in the jobs table
        worker_hijack_root_logger=False,
        broker_connection_retry=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # Redis restarting: wait for it, for as long as it takes
        broker_transport_options={
            "visibility_timeout": visibility,
            # Look for the messages of lost workers every couple of seconds (the default is every 100 s).
            "unacked_restore_interval": 2, "unacked_restore_throttle": 1,
            "socket_timeout": 15, "socket_connect_timeout": 5, "health_check_interval": 10,
        },
        worker_cancel_long_running_tasks_on_connection_loss=False,
    )
    return celery


def flask_app() -> Flask:
    """The app this worker process runs jobs in, built once from the environment."""
    global _app
    with _app_lock:
        if _app is None:
            from app import create_app

            _app = create_app()
        return _app


@celery.task(name=TASK_NAME, bind=True)
def run_job(task: Any, job_id: int) -> None:
    from app import jobs
    from app.extensions import db

    app = flask_app()
    with app.app_context():
        try:
            jobs.execute(job_id)
        finally:
            db.session.remove()


def send_jobs(app: Flask, job_ids: list[int]) -> None:
    """Publish one message per job (from the web process, after the commit that created the jobs)."""
    configure(app.config)
    for job_id in job_ids:
        run_job.apply_async(args=[job_id], queue=QUEUE, retry=True,
                            retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5})


def queue_length(app: Flask) -> int | None:
    """Messages waiting in the broker's queue (None if it cannot be asked)."""
    try:
        with celery.connection_for_write() as connection:
            return int(connection.default_channel.client.llen(QUEUE))
    except Exception:  # the broker is down: the next sweep asks again
        return None


def _sweep_forever(app: Flask, stop: threading.Event) -> None:
    from app import jobs

    every = float(app.config.get("JOBS_SWEEP_SECONDS", 15))
    older_than = timedelta(seconds=float(app.config.get("JOBS_SWEEP_AFTER_SECONDS", 30)))
    while not stop.wait(every):
        try:
            # Only when the queue is empty: a job still waiting in the queue has a message; one that is
            # queued in the database with nothing in the broker lost its message.
            if queue_length(app) == 0:
                jobs.redispatch_stale(app, older_than=older_than)
        except Exception:
            log.exception("the sweep for lost jobs failed; it runs again in %s s", every)


_sweeper_stop = threading.Event()


@signals.worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    app = flask_app()
    threading.Thread(target=_sweep_forever, args=(app, _sweeper_stop), name="eurogrants-job-sweep",
                     daemon=True).start()


@signals.worker_shutdown.connect
def _stop_sweeper(**_: Any) -> None:
    _sweeper_stop.set()


def _configure_from_environment() -> None:
    """`celery -A app.worker` imports this module: configure it from the same environment as the web app."""
    from config import config_from_env

    config = config_from_env()
    settings = {key: getattr(config, key) for key in dir(config) if key.isupper()}
    if settings.get("CELERY_BROKER_URL") or settings.get("REDIS_URL"):
        configure(settings)


_configure_from_environment()
