"""Background jobs: heavy work (alignment, redaction, rendering) in worker processes.

huey is the queue (SQLite under the data folder by default, Redis with
`jobs_redis_url`); the `jobs` table holds each job's kind, subject, state,
progress and lease (models.py). `service.request` asks for a job (one per kind
and subject at a time), `runner.run_job` runs one in a worker with its lease
renewed, `worker.run_worker` is `evidence-server worker`, and `service.sweep`
restarts what a killed worker left running. See docs/jobs.md.
"""
