"""State changes, one module per area, named verb_noun (`submit_proposal`, `finalise_run`, `publish_letters`).

A service takes the main object first and keyword-only options after it; it checks the actor's permission
(`app.queries.access`) and the allowed transition, changes state, writes an audit event (`audit.record_event`) and
flushes. It never commits: the request's transaction does (`app.web.transaction`), or the command line. Refusals are
`errors.DomainError`s. Reads that pages, exports, letters and the API share live in `app.queries`.
"""
