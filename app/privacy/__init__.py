"""Personal data: the record of processing (`map`, summarised by category in `summary`), the versioned texts people
accept (`texts`) and the log of officers' access to personal data (`access_log`).

The first two are declarations without Flask or the database; the services and queries that act on them are
app/services/personal_data.py (rectification, erasure), app/services/retention.py (the retention job) and
app/queries/personal_data.py (statements, the access log, rectification), personal_data_export.py (the export)
and erasure.py (the assessment, the pseudonym, the register's reads).
"""
