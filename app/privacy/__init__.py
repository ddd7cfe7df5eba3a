"""Personal data: the record of processing (`map`) and the versioned texts people accept (`texts`).

Both are declarations without Flask or the database; the services and queries that act on them are
app/services/personal_data.py (rectification, erasure), app/services/retention.py (the retention job) and
app/queries/personal_data.py (export, assessment, statements, the access log).
"""
