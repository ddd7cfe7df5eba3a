"""Reads that pages, exports, letters and the API share: who may see what (`access`), calls, submitted versions,
the eligibility checklist, evaluation progress and access, the ranking. Queries never write; they load what a page
shows in a constant number of statements.
"""
