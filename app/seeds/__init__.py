"""Reference and demo data: the three reference calls and their practice copies, and the demo that `flask seed demo`
loads (the applicant's proposals, the evaluator pool, evaluated fields of proposals ready to rank).

Seeders are idempotent and flush; the command line commits. Nothing in the app's requests imports this package.
"""
