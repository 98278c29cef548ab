"""The overlap score for many pairs at once, with sparse matrices.

`overlap.Corpus.compare` is the formula (and gives the reasons); this computes the same sum for
millions of candidate pairs so the best can be found without a Python loop per pair. Scores here
are not rounded per reason, so they can differ from `compare`'s by a few ten-thousandths: `best`
keeps every pair within `TOLERANCE` of the cut and then ranks those with `compare`, so what callers
get is exactly what the formula says. A test checks the two agree.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from ..workers import checkpoint

if TYPE_CHECKING:
    from .overlap import Corpus, Overlap

TOLERANCE = 0.002
CHUNK = 400_000
MARK = 0.004
"""A feature whose idf moved by more than this share since the matrices were built has its rows
scored by the formula; smaller moves are covered by the drift bound."""
MAX_DRIFT = 0.008
"""Beyond this bound on how far a score from the matrices can be off, they are built again."""
MAX_OUT_OF_DATE = 0.05
"""… and when more than this share of the rows is out of date."""


def drift_bound(epsilon: float) -> float:
    """How far a pair's score can move when every idf moves by at most the share `epsilon`: the
    capability part is a ratio of idf sums (0.40 × (r − 1)), the text part a cosine of idf-weighted
    vectors (0.20 × (r² − 1)), with r = (1 + ε) / (1 − ε)."""
    if epsilon >= 0.5:
        return 1.0
    r = (1 + epsilon) / (1 - epsilon)
    return 0.40 * (r - 1) + 0.20 * (r * r - 1)


class Matrices:
    """Items × features matrices of a corpus, rows in sorted id order."""

    def __init__(self, corpus: Corpus) -> None:
        from .overlap import COMPLEMENT_SHARE, WEIGHTS, candidate_features, term_counts

        self.weights = WEIGHTS
        self.size = corpus.size
        self.max_df = corpus.max_df
        self.df = dict(corpus.df)
        self.out_of_date: set[str] = set()
        """Items whose rows no longer say what the corpus says: pairs with them go by the formula."""
        self.drift = 0.0
        """How far a score from the rows still in date can be off, as weights moved since."""
        self.followed = corpus.version
        self.ids = sorted(corpus.items)
        self.position = {item_id: k for k, item_id in enumerate(self.ids)}
        items = [corpus.items[i] for i in self.ids]
        self.cap_binary, self.cap_weighted, caps = self._matrix(
            items, lambda i: i.capabilities, corpus.cap_idf, vocabulary=True
        )
        # Items × the capabilities complementing theirs: a pair sharing no capability but with
        # complementary ones scores COMPLEMENT_SHARE of its sum, as `Corpus.compare` says.
        links = [
            (caps[x], caps[y]) for x, ys in corpus.complements.items() if x in caps for y in ys if y in caps
        ]
        k = sparse.csr_matrix(
            (np.ones(len(links)), ([a for a, _ in links], [b for _, b in links])), shape=(len(caps) or 1,) * 2
        )
        self.cap_complements = (self.cap_binary @ k).tocsr()
        self.need = self._matrix(items, lambda i: i.needs)[0]
        self.theme = self._matrix(items, lambda i: i.themes)[0]
        self.city = self._matrix(items, lambda i: i.cities)[0]
        self.region = self._matrix(items, lambda i: i.regions)[0]
        self.complement_share = COMPLEMENT_SHARE
        text = self._matrix(items, term_counts, corpus.term_idf, counts=True)[1]
        norms = np.array([corpus.text_norm(i) for i in items])
        self.text = sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ text
        self.text = self.text.tocsr()
        self.cap_total = np.asarray(self.cap_weighted.sum(axis=1)).ravel()
        self.need_total = np.asarray(self.need.sum(axis=1)).ravel()
        self.theme_total = np.asarray(self.theme.sum(axis=1)).ravel()
        self.decided = np.array([i.decision is not None for i in items])
        # Items × the features specific enough to pair on: F·Fᵀ lists the candidate pairs.
        specific: dict[tuple[str, str], int] = {}
        rows, cols = array("q"), array("q")
        df, limit = corpus.df, corpus.max_df  # `corpus.specific`, without a call per entry
        for k, item in enumerate(items):
            for key in candidate_features(item):
                if df[key] <= limit:
                    rows.append(k)
                    cols.append(specific.setdefault(key, len(specific)))
        shape = (len(items), max(1, len(specific)))
        self.features = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (_numbers(rows), _numbers(cols))), shape=shape
        )

    @staticmethod
    def _matrix(items, features, weight=None, counts=False, vocabulary=False):
        """Binary and weighted items × features matrices: a cell is 1, and count × weight. The
        entries are gathered in typed arrays (not lists of Python numbers: a hundred bytes an
        entry, over a million entries at M), and each feature's weight is computed once."""
        vocab: dict[str, int] = {}
        rows, cols, amounts = array("q"), array("q"), array("d")
        for k, item in enumerate(items):
            found = features(item)
            for feature in sorted(found):
                rows.append(k)
                cols.append(vocab.setdefault(feature, len(vocab)))
                if counts:
                    amounts.append(found[feature])
        shape = (len(items), max(1, len(vocab)))
        rows, cols = _numbers(rows), _numbers(cols)
        ones = np.ones(len(rows))
        binary = sparse.csr_matrix((ones, (rows, cols)), shape=shape)
        scale = _numbers(amounts) if counts else ones
        if weight:
            scale = scale * np.array([weight(feature) for feature in vocab], dtype=np.float64)[cols]
        weighted = sparse.csr_matrix((scale, (rows, cols)), shape=shape)
        return (binary, weighted, vocab) if vocabulary else (binary, weighted)

    # Following the corpus -------------------------------------------------------------------
    def follow(self, corpus: Corpus) -> bool:
        """Take in what changed in the corpus since these matrices were built: mark the rows out
        of date and bound the drift of the others. False when they should be built again."""
        out = set(corpus.changed_items)
        if corpus.max_df != self.max_df:
            # Which features pair items moved with the corpus's size, for features no change
            # touched too: those with a frequency between the two bounds. Their holders' pairs go
            # by the formula (from the postings, which list every feature that pairs now).
            low, high = sorted((self.max_df, corpus.max_df))
            for feature, n in corpus.df.items():
                if low < n <= high:
                    out |= corpus.holders(feature)
        epsilon = (
            abs(corpus.size - self.size) / (min(corpus.size, self.size) * np.log(2)) if self.size else 1.0
        )
        for feature in corpus.changed_features:
            before, now = self.df.get(feature, 0), corpus.df.get(feature, 0)
            moved = (before <= self.max_df) != (now <= corpus.max_df) or not before or not now
            if not moved and feature[0] in ("c", "t"):
                was = np.log(1 + self.size / before)
                share = abs(np.log(1 + corpus.size / now) / was - 1)
                moved = share > MARK
                if not moved:
                    epsilon = max(epsilon, share)
            if moved:
                out |= corpus.holders(feature)
        self.out_of_date = out
        self.drift = drift_bound(epsilon)
        self.followed = corpus.version
        return len(out) <= MAX_OUT_OF_DATE * max(1, self.size) and self.drift <= MAX_DRIFT

    # Candidate pairs ----------------------------------------------------------------------
    def _rows(self, ids: Iterable[str]) -> np.ndarray:
        """Row positions of the ids whose rows are in date."""
        stale = self.out_of_date
        return np.array(
            sorted(self.position[i] for i in ids if i in self.position and i not in stale), dtype=np.int64
        )

    def pairs_within(self, ids: Iterable[str] | None) -> tuple[np.ndarray, np.ndarray]:
        """Row positions (P < Q) of the pairs inside `ids` (None: all) sharing a specific feature,
        both rows in date."""
        rows = self._rows(self.ids if ids is None else ids)
        if len(rows) < 2:
            return rows[:0], rows[:0]
        subset = self.features[rows]
        shared = sparse.triu(subset @ subset.T, k=1).tocoo()
        return rows[shared.row], rows[shared.col]

    def pairs_from(self, ids: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of each of `ids` with any item sharing a specific feature, both rows in date:
        (left, right), or (smaller, larger) once when both are in `ids`."""
        rows = self._rows(ids)
        if not len(rows):
            return rows, rows
        shared = (self.features[rows] @ self.features.T).tocoo()
        left, right = rows[shared.row], shared.col.astype(np.int64)
        inside = np.zeros(len(self.ids), dtype=bool)
        inside[rows] = True
        stale = np.zeros(len(self.ids), dtype=bool)
        stale[[self.position[i] for i in self.out_of_date if i in self.position]] = True
        keep = (left != right) & ~(inside[right] & (right < left)) & ~stale[right]
        return left[keep], right[keep]

    # Scores -------------------------------------------------------------------------------
    def scores(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        out = np.empty(len(left))
        for start in range(0, len(left), CHUNK):
            p, q = left[start : start + CHUNK], right[start : start + CHUNK]
            out[start : start + CHUNK] = self._scores(p, q)
        return out

    def _scores(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        w = self.weights
        shared_cap = _rowdot(self.cap_binary, self.cap_weighted, p, q)
        score = w["capability"] * _ratio(shared_cap, self.cap_total[p] + self.cap_total[q] - shared_cap)
        for matrix, total, kind in (
            (self.need, self.need_total, "need"),
            (self.theme, self.theme_total, "theme"),
        ):
            shared = _rowdot(matrix, matrix, p, q)
            score += w[kind] * _ratio(shared, total[p] + total[q] - shared)
        score += w["text"] * np.minimum(1.0, _rowdot(self.text, self.text, p, q))
        same_city = _rowdot(self.city, self.city, p, q) > 0
        same_region = _rowdot(self.region, self.region, p, q) > 0
        score += np.where(same_city, w["place"], np.where(same_region, w["place"] * 0.5, 0.0))
        score += w["decision"] * self.decided[q]
        complementary = (_rowdot(self.cap_binary, self.cap_binary, p, q) == 0) & (
            _rowdot(self.cap_complements, self.cap_binary, p, q) > 0
        )
        return np.where(complementary, score * self.complement_share, score)


def _numbers(values: array) -> np.ndarray:
    """A typed array's numbers, as numpy's (int64 for "q", float64 for "d"), without a copy."""
    dtype = np.int64 if values.typecode == "q" else np.float64
    return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype=dtype)


def _rowdot(a: sparse.csr_matrix, b: sparse.csr_matrix, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.asarray(a[p].multiply(b[q]).sum(axis=1)).ravel()


def _ratio(shared: np.ndarray, union: np.ndarray) -> np.ndarray:
    return np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)


def best(
    corpus: Corpus,
    left: np.ndarray,
    right: np.ndarray,
    exact: set[tuple[str, str]],
    min_score: float,
    first: int,
) -> list[Overlap]:
    """The `first` pairs scoring at least `min_score`, exactly as `Corpus.compare` and `rank` say.

    `left`/`right` are row pairs the matrices score; `exact` are id pairs with an out-of-date side,
    which the formula scores. A matrix score is within `slack` of the formula's (rounding, and the
    drift of the weights), so the cut is found over both kinds of scores, and every matrix pair
    within two slacks of it is scored again by the formula before ranking: nothing that belongs in
    the answer is left out."""
    from .overlap import rank

    matrices = corpus.matrices()
    ids = matrices.ids
    scores = matrices.scores(left, right) if len(left) else np.array([])
    known = [corpus.compare(corpus.items[a], corpus.items[b]) for a, b in sorted(exact)]
    slack = TOLERANCE + matrices.drift
    both = np.concatenate([scores, np.array([o.score for o in known])])
    floor = min_score
    if (both >= min_score - slack).sum() > first:
        floor = max(floor, np.partition(both, -first)[-first])
    keep = scores >= floor - 2 * slack
    found = []
    for n, (a, b) in enumerate(zip(left[keep], right[keep], strict=True)):
        if not n % 1024:
            checkpoint()  # a request past its deadline gives its worker back
        found.append(corpus.compare(corpus.items[ids[a]], corpus.items[ids[b]]))
    return rank(found + known, min_score, first)
