"""Reads that pages, exports, letters and the API share: who may see what (`access`), calls, submitted versions,
the eligibility checklist, evaluation progress and access; for selection, the input of a run (`selection`), its
outcomes as the scoring core decided them (`outcomes`, the one reader), the runs (`runs`), the ranking, and what the
letters say (`letters`, `letter_context`), the outbox and transfer offers. Queries never write; they load what a page
shows in a constant number of statements.
"""
