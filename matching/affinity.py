"""How close a proposal is to an evaluator's expertise, from what both wrote: TF-IDF vectors and their cosine.

A proposal's text is its title, abstract, keywords and strand; an evaluator's is their expertise keywords, their
expertise statement and the strands they listed. Both are turned into TF-IDF vectors over one vocabulary (fitted on
the call's proposals and pool together, so a word common to the whole call weighs little), and the affinity of a pair
is the cosine of its two vectors: 0 when they share no informative word, 1 when they say the same.

Why this evaluator: the shared terms that contribute most to a pair's cosine (`Affinity.shared_terms`).

Pure like the rest of `matching` (scikit-learn and numpy only). TF-IDF matches words, not meanings: the README says
what a sentence-embedding model would add and why it is not the default.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

SHARED_TERMS = 3  # terms shown as the reason for a pair


class Affinity:
    """The affinity of every (proposal, evaluator) pair of a call, and the terms each pair shares."""

    def __init__(self, proposals: Mapping[int, str], evaluators: Mapping[int, str]) -> None:
        self._proposal_row = {pid: row for row, pid in enumerate(proposals)}
        self._evaluator_row = {eid: row for row, eid in enumerate(evaluators)}
        texts = list(proposals.values()) + list(evaluators.values())
        # sublinear_tf: a word repeated ten times is not ten times the evidence; the default token pattern skips
        # one-letter tokens; English stop words carry no expertise.
        vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, strip_accents="unicode")
        if any(text.strip() for text in texts):
            try:
                matrix = vectorizer.fit_transform(texts).tocsr()
            except ValueError:  # only stop words: nothing to compare
                matrix = None
        else:
            matrix = None
        if matrix is None:
            self._terms: NDArray[np.str_] = np.array([], dtype=str)
            self._proposals = self._evaluators = None
            self.scores: NDArray[np.float64] = np.zeros((len(proposals), len(evaluators)))
            return
        self._terms = vectorizer.get_feature_names_out()
        self._proposals = matrix[: len(proposals)]
        self._evaluators = matrix[len(proposals):]
        # Rows are L2-normalised, so the product is the cosine.
        self.scores = np.asarray((self._proposals @ self._evaluators.T).toarray(), dtype=np.float64)

    def score(self, proposal_id: int, evaluator_id: int) -> float:
        """The affinity in [0, 1]; 0 for a proposal or an evaluator without text."""
        row = self._proposal_row.get(proposal_id)
        column = self._evaluator_row.get(evaluator_id)
        if row is None or column is None:
            return 0.0
        return float(self.scores[row, column])

    def ranked(self, proposal_id: int) -> dict[int, float]:
        """Every evaluator's affinity with this proposal."""
        row = self._proposal_row.get(proposal_id)
        if row is None:
            return {}
        values = self.scores[row]
        return {eid: float(values[column]) for eid, column in self._evaluator_row.items()}

    def shared_terms(self, proposal_id: int, evaluator_id: int, limit: int = SHARED_TERMS) -> tuple[str, ...]:
        """The terms both texts use that weigh most in the pair's affinity, the heaviest first."""
        row = self._proposal_row.get(proposal_id)
        column = self._evaluator_row.get(evaluator_id)
        if row is None or column is None or self._proposals is None or self._evaluators is None:
            return ()
        # Straight from the CSR arrays: slicing rows through scipy costs more than the whole intersection.
        proposals, evaluators = self._proposals, self._evaluators
        p_start, p_end = proposals.indptr[row], proposals.indptr[row + 1]
        e_start, e_end = evaluators.indptr[column], evaluators.indptr[column + 1]
        common, p_at, e_at = np.intersect1d(proposals.indices[p_start:p_end], evaluators.indices[e_start:e_end],
                                            assume_unique=True, return_indices=True)
        if not len(common):
            return ()
        weights = proposals.data[p_start:p_end][p_at] * evaluators.data[e_start:e_end][e_at]
        order = np.lexsort((common, -weights))[:limit]  # heaviest first, then by vocabulary order
        return tuple(str(self._terms[common[i]]) for i in order)
