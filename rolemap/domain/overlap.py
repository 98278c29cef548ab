"""How alike two services, pilots or vendors are: the overlap score and its reasons.

The score is a sum of reason weights, so a person can read why two things overlap and how much each
reason counts. With A and B the two items' feature sets, and `|S|w` the idf-weighted size of a set:

    capability  0.40 × |A∩B|w / |A∪B|w   over capabilities, idf(c) = ln(1 + N / df(c)):
                a capability few items have weighs more than one most items have
    need        0.15 × |A∩B| / |A∪B|     over the needs they address
    theme       0.10 × |A∩B| / |A∪B|     over their themes
    text        0.20 × cosine of tf-idf vectors of the terms of their names and descriptions
                (language-aware terms for Finnish, Swedish and English: see text.py)
    place       0.10 when they are used or run in the same city (or region node), 0.05 when only
                their cities share a region
    decision    0.05 for a pilot whose counterpart already has a decision (its outcome and
                rationale are the reason: prior art to learn from)

The weights add up to 1, so the score is in 0..1. Each shared capability, need and theme is its own
reason, carrying its share of the component's weight. Scores are rounded to 4 decimals and pairs are
ranked by score, ties broken by ids, so results are deterministic.

Candidate pairs come from an inverted index: two items are compared only when they share a
capability, a need or a term that at most `max_df` items have (see `Corpus.max_df`). A feature most
items have (a ubiquitous capability, a common word) still counts in the score of a pair, but does not
make two items candidates on its own, so the cost grows with the pairs that share something specific.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

WEIGHTS = {
    "capability": 0.40,
    "need": 0.15,
    "theme": 0.10,
    "text": 0.20,
    "place": 0.10,
    "decision": 0.05,
}
REGION_SHARE = 0.5
"""Sharing only a region (not a city) earns this share of the place weight."""
COMPLEMENT_SHARE = 0.45
"""Two items whose only common ground in capabilities is complementary ones (booking and
identification) work together rather than duplicate each other: every reason counts this share,
so the most such a pair can score (0.6 × 0.45 = 0.27) stays under the default threshold (0.3)."""
MIN_MAX_DF = 50
MAX_DF_SHARE = 0.01
TEXT_REASON_TERMS = 5


@dataclass(frozen=True, slots=True)
class Item:
    """What the score looks at for one service, pilot or vendor."""

    id: str
    capabilities: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    themes: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    terms: tuple[str, ...] = ()
    """The terms of its name and description in order, each as often as it is written (count them
    with `term_counts`). A service's or pilot's is the read model's own tuple, shared, not a copy."""
    decision: Decision | None = None

    def __reduce__(self):
        """Pickled as a call with its fields (analysis/checkpoint.py): fewer objects for the
        pickler to keep track of than a slotted dataclass's state."""
        return Item, tuple(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    outcome: str
    rationale: str


@dataclass(frozen=True)
class Reason:
    kind: str
    detail: str
    weight: float


@dataclass(frozen=True)
class Overlap:
    score: float
    left: str
    right: str
    reasons: tuple[Reason, ...]


class Corpus:
    """Document frequencies over all items of one kind, and the names used in reasons.

    A corpus follows the registry: `update` replaces, adds or removes items, keeping frequencies
    and postings exact. Its sparse matrices (bulk.py) are not rebuilt for each change: rows of
    changed items, and of items whose features' weight moved, are scored by the formula instead,
    and the rest within a bound of how far their weights can have drifted; so what `best_within`
    and `best_from` return is always exactly what the formula says over the current items."""

    def __init__(
        self,
        items: Iterable[Item | None],
        names: Mapping[str, str] | None = None,
        words: Mapping[str, str] | None = None,
        complements: Mapping[str, set[str]] | None = None,
        as_of: str | None = None,
    ) -> None:
        self.names = names or {}
        self.words = words or {}
        self.complements = complements or {}
        """Capability → the capabilities it works together with (symmetric)."""
        self.as_of = as_of
        """The day the items describe, named in place reasons."""
        self.items: dict[str, Item] = {}
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        """One copy of each set the items hold: the items of one city share their cities and
        regions, most items of one theme their themes (`_add`). Sets no item holds any more stay
        until the corpus is made again (the next day, or a change to regions or complements)."""
        self.df: Counter[tuple[str, str]] = Counter()
        self._postings: dict[tuple[str, str], set[str]] = {}
        """Feature → the items that have it, for the features that can make candidates and those
        near that bound: df ≤ `_posted` (see `_post`). Most of the corpus's features by count of
        holders are common ones (a capability or word thousands of items have); they pair nothing,
        so their holders are found by a scan on the rare occasions they are asked for."""
        self._posted = 0
        self._unposted: set[tuple[str, str]] = set()
        """Features whose frequency fell back to `_posted` or below since their postings were
        dropped: `_post` lists their holders again."""
        self._places: dict[str, set[str]] = defaultdict(set)
        """City → the items in it: a city's overlaps start from its own items."""
        self._norms: dict[str, float] = {}
        self._matrices = None
        self._matrices_lock = threading.Lock()
        self.changed_items: set[str] = set()
        """Items added, changed or removed since the matrices were built."""
        self.changed_features: set[tuple[str, str]] = set()
        """Features whose frequency changed since the matrices were built."""
        self.version = 0
        """Counts updates: the matrices take in what changed once per version."""
        for item in items:
            if item is not None:
                self._add(item)
        self._post()

    def __getstate__(self) -> dict:
        """For a saved read model (analysis/checkpoint.py): everything but the lock."""
        with self._matrices_lock:
            state = dict(self.__dict__)
        del state["_matrices_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._matrices_lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self.items)

    def in_cities(self, cities: Iterable[str]) -> set[str]:
        """The items in any of these cities."""
        found: set[str] = set()
        for city in cities:
            found |= self._places.get(city, set())
        return found

    @property
    def max_df(self) -> int:
        return max(MIN_MAX_DF, int(self.size * MAX_DF_SHARE))

    def _add(self, item: Item) -> None:
        shared = self._sets.setdefault
        item = replace(
            item,
            capabilities=shared(item.capabilities, item.capabilities),
            needs=shared(item.needs, item.needs),
            themes=shared(item.themes, item.themes),
            cities=shared(item.cities, item.cities),
            regions=shared(item.regions, item.regions),
        )
        self.items[item.id] = item
        for key in candidate_features(item):
            self.df[key] += 1
            if self.df[key] <= self._posted:
                self._postings.setdefault(key, set()).add(item.id)
            else:
                self._postings.pop(key, None)
        for city in item.cities:
            self._places[city].add(item.id)

    def _remove(self, item_id: str) -> None:
        item = self.items.pop(item_id)
        for city in item.cities:
            self._places[city].discard(item_id)
            if not self._places[city]:
                del self._places[city]
        for key in candidate_features(item):
            self.df[key] -= 1
            holders = self._postings.get(key)
            if holders is not None:
                holders.discard(item_id)
            elif self.df[key] <= self._posted:
                self._unposted.add(key)
            if not self.df[key]:
                del self.df[key]
                self._postings.pop(key, None)

    def _post(self) -> None:
        """Keep the postings exact for every feature with df ≤ `_posted`, a bound twice `max_df`
        when it was set: all the specific features, and those a few changes could make specific.
        The bound is set again (and the postings listed again) only when `max_df` outgrows it."""
        if self.max_df > self._posted:
            self._posted = 2 * self.max_df
            self._postings = {}
            self._unposted = {key for key, n in self.df.items() if n <= self._posted}
        missing = {key for key in self._unposted if 0 < self.df.get(key, 0) <= self._posted}
        self._unposted = set()
        if missing:  # a posting begun since (`_add`) holds some of them: the scan adds the rest
            for item in self.items.values():
                for key in candidate_features(item):
                    if key in missing:
                        self._postings.setdefault(key, set()).add(item.id)

    def update(self, changed: Mapping[str, Item | None]) -> None:
        """Put these items in the corpus as they are now (None: out of it)."""
        for item_id, item in changed.items():
            old = self.items.get(item_id)
            if old == item:
                continue
            if old is not None:
                self.changed_features.update(candidate_features(old))
                self._remove(item_id)
            if item is not None:
                self.changed_features.update(candidate_features(item))
                self._add(item)
            self.changed_items.add(item_id)
        self._post()
        self.version += 1
        self._norms.clear()  # idf moved, if only a little

    def cap_idf(self, cap: str) -> float:
        return math.log(1 + self.size / max(1, self.df["c", cap]))

    def term_idf(self, term: str) -> float:
        return math.log(1 + self.size / max(1, self.df["t", term]))

    def specific(self, feature: tuple[str, str]) -> bool:
        """Whether a feature is rare enough to make two items candidates."""
        return self.df[feature] <= self.max_df

    def name(self, node_id: str) -> str:
        return self.names.get(node_id, node_id)

    # Candidates -----------------------------------------------------------------------------
    def holders(self, feature: tuple[str, str]) -> set[str]:
        """The items that have this feature: from its postings, or for a common one by a scan."""
        found = self._postings.get(feature)
        if found is not None:
            return found
        if not self.df.get(feature):
            return set()
        return {i for i, item in self.items.items() if has_feature(item, feature)}

    def candidates_of(self, item: Item) -> set[str]:
        """Ids of the corpus items that share a specific feature with `item` (not itself). A
        feature only one earlier item has counts: a draft compared with the corpus needs just one."""
        found: set[str] = set()
        limit = self.max_df
        for key in candidate_features(item):
            if 0 < self.df.get(key, 0) <= limit:
                found |= self._postings[key]
        found.discard(item.id)
        return found

    def matrices(self):
        """The corpus as sparse matrices, for scoring many pairs at once (see bulk.py): built once,
        and again when too many rows are out of date or weights drifted too far."""
        with self._matrices_lock:
            from .bulk import Matrices

            followed = self._matrices is not None and (
                self._matrices.followed == self.version or self._matrices.follow(self)
            )
            if not followed:
                self._matrices = None  # out of date: let them go before the new ones take memory
                self._matrices = Matrices(self)
                self.changed_items.clear()
                self.changed_features.clear()
            return self._matrices

    def best_within(self, ids: Iterable[str] | None, min_score: float, first: int) -> list[Overlap]:
        """The best overlaps among `ids` (None: the whole corpus), pairing only items that share a
        specific feature."""
        from .bulk import best

        inside = None if ids is None else set(ids) & self.items.keys()
        matrices = self.matrices()
        left, right = matrices.pairs_within(inside)
        exact = self._pairs_of(matrices.out_of_date, inside, within=True)
        return best(self, left, right, exact, min_score, first)

    def best_from(self, ids: Iterable[str], min_score: float, first: int) -> list[Overlap]:
        """The best overlaps of `ids` with any item of the corpus."""
        from .bulk import best

        ids = set(ids) & self.items.keys()
        matrices = self.matrices()
        left, right = matrices.pairs_from(ids)
        exact = self._pairs_of(matrices.out_of_date, ids, within=False)
        return best(self, left, right, exact, min_score, first)

    def _pairs_of(self, stale: set[str], ids: set[str] | None, within: bool) -> set[tuple[str, str]]:
        """The candidate pairs with an out-of-date side, from the postings (exact): pairs inside
        `ids` (None: all), or (`within=False`) pairs of `ids` with any item. Each pair once, in the
        orientation the matrices give: inside, the smaller id first; from `ids`, the `ids` side
        first (the smaller first when both are)."""
        pairs: set[tuple[str, str]] = set()

        def add(a: str, b: str) -> None:
            if within or (a in ids and b in ids):
                pairs.add((min(a, b), max(a, b)))
            else:
                pairs.add((a, b) if a in ids else (b, a))

        if within and ids is None:
            for s in stale:
                if s in self.items:
                    for other in self.candidates_of(self.items[s]):
                        add(s, other)
            return pairs
        for s in stale & ids:
            if s in self.items:
                for other in self.candidates_of(self.items[s]):
                    if not within or other in ids:
                        add(s, other)
        if not within:  # an `ids` item paired with an out-of-date one outside `ids`
            for i in ids:
                for other in self.candidates_of(self.items[i]) & stale:
                    add(i, other)
        return pairs

    # Scoring --------------------------------------------------------------------------------
    def text_norm(self, item: Item) -> float:
        """Length of the item's tf-idf vector (cached for the corpus's own items)."""
        norm = self._norms.get(item.id) if item.id in self.items else None
        if norm is None:
            norm = math.sqrt(sum((n * self.term_idf(t)) ** 2 for t, n in term_counts(item).items()))
            if item.id in self.items:
                self._norms[item.id] = norm
        return norm

    def compare(self, left: Item, right: Item, scale: float = 1.0, query: bool = False) -> Overlap:
        """The score and its reasons. `scale` multiplies the similarity reasons, and `query` reads
        the text as a query's (see `compare_draft`); the decision reason is never scaled."""
        similar = [
            *self._capability_reasons(left, right),
            *_jaccard_reasons("need", "addresses need", left.needs, right.needs, self.name),
            *_jaccard_reasons("theme", "in theme", left.themes, right.themes, self.name),
            *(self._query_reasons(left, right) if query else self._text_reasons(left, right)),
            *self._place_reasons(left, right),
        ]
        complementary = self.complementary(left, right)
        if complementary:
            scale *= COMPLEMENT_SHARE
        reasons = [Reason(r.kind, r.detail, r.weight * scale) for r in similar]
        reasons += [
            Reason(r.kind, r.detail, r.weight * (COMPLEMENT_SHARE if complementary else 1.0))
            for r in _decision_reasons(right, self.name)
        ]
        reasons = [_rounded(r) for r in reasons if r.weight > 0]
        reasons = [r for r in reasons if r.weight > 0]
        reasons.sort(key=lambda r: (-r.weight, r.kind, r.detail))
        if complementary:
            x, y = complementary[0]
            detail = (
                f"{self.name(x)} and {self.name(y)} complement each other: they work together, not "
                f"instead of each other, so every reason counts {COMPLEMENT_SHARE:.0%}"
            )
            reasons.append(Reason("complement", detail, 0.0))
        score = round(min(1.0, sum(r.weight for r in reasons)), 4)
        return Overlap(score, left.id, right.id, tuple(reasons))

    def compare_draft(self, draft: Item, other: Item) -> Overlap:
        """A planned item against an earlier one. What the plan does not say yet (no capabilities,
        no needs, no place…) is left out of the scale rather than counted as a difference: the
        weights of the parts it gives are scaled up to add to what all similarity reasons weigh.
        Its words are a query: what share of them (by idf) the earlier item has, not the cosine of
        two texts of different lengths."""
        given = {
            "capability": draft.capabilities,
            "need": draft.needs,
            "theme": draft.themes,
            "text": draft.terms,
            "place": draft.cities,
        }
        present = sum(WEIGHTS[k] for k, v in given.items() if v)
        full = sum(WEIGHTS[k] for k in given)
        return self.compare(draft, other, scale=full / present if present else 1.0, query=True)

    def complementary(self, a: Item, b: Item) -> list[tuple[str, str]]:
        """Pairs of complementary capabilities between two items that share none."""
        if not self.complements or a.capabilities & b.capabilities:
            return []
        return sorted(
            (x, y) for x in a.capabilities for y in self.complements.get(x, ()) if y in b.capabilities
        )

    def _capability_reasons(self, a: Item, b: Item) -> list[Reason]:
        shared = a.capabilities & b.capabilities
        if not shared:
            return []
        union = sum(self.cap_idf(c) for c in a.capabilities | b.capabilities)
        return [
            Reason(
                "capability",
                f"both have capability {self.name(c)} ({self.df['c', c]} of {self.size} have it)",
                WEIGHTS["capability"] * self.cap_idf(c) / union,
            )
            for c in sorted(shared)
        ]

    def _text_reasons(self, a: Item, b: Item) -> list[Reason]:
        left, right = term_counts(a), term_counts(b)
        shared = left.keys() & right.keys()
        norms = self.text_norm(a) * self.text_norm(b)
        if not shared or not norms:
            return []
        contributions = {t: left[t] * right[t] * self.term_idf(t) ** 2 for t in shared}
        cosine = sum(contributions.values()) / norms
        top = sorted(contributions, key=lambda t: (-contributions[t], t))[:TEXT_REASON_TERMS]
        shown = ", ".join(self.words.get(t, t) for t in top)
        return [Reason("text", f"similar wording: {shown}", WEIGHTS["text"] * min(1.0, cosine))]

    def _query_reasons(self, query: Item, b: Item) -> list[Reason]:
        """The idf-weighted share of the query's words that `b` has, square-rooted: a plan says
        what it is about in a handful of words, and an earlier pilot sharing one of the rarer ones
        ("chatbot" of "chatbot for elderly-care questions") is prior art worth showing."""
        asked = dict.fromkeys(query.terms)
        shared = asked.keys() & set(b.terms)
        total = sum(self.term_idf(t) for t in asked)
        if not shared or not total:
            return []
        top = sorted(shared, key=lambda t: (-self.term_idf(t), t))[:TEXT_REASON_TERMS]
        shown = ", ".join(self.words.get(t, t) for t in top)
        share = math.sqrt(sum(self.term_idf(t) for t in shared) / total)
        return [Reason("text", f"has the plan's words {shown}", WEIGHTS["text"] * share)]

    def _place_reasons(self, a: Item, b: Item) -> list[Reason]:
        when = f" as of {self.as_of}" if self.as_of else ""
        cities = sorted(a.cities & b.cities)
        if cities:
            where = ", ".join(self.name(c) for c in cities)
            return [Reason("place", f"both in {where}{when}", WEIGHTS["place"])]
        regions = sorted(a.regions & b.regions)
        if regions:
            where = ", ".join(self.name(r) for r in regions)
            return [Reason("place", f"same region: {where}{when}", WEIGHTS["place"] * REGION_SHARE)]
        return []


def candidate_features(item: Item) -> list[tuple[str, str]]:
    """The features that can make two items candidates (themes and places are too broad)."""
    return [
        *(("c", c) for c in item.capabilities),
        *(("n", n) for n in item.needs),
        *(("t", t) for t in dict.fromkeys(item.terms)),
    ]


def term_counts(item: Item) -> Counter[str]:
    return Counter(item.terms)


def has_feature(item: Item, feature: tuple[str, str]) -> bool:
    kind, value = feature
    return value in (item.capabilities if kind == "c" else item.needs if kind == "n" else item.terms)


def _jaccard_reasons(kind: str, verb: str, a: frozenset[str], b: frozenset[str], name) -> list[Reason]:
    shared = a & b
    if not shared:
        return []
    each = WEIGHTS[kind] / len(a | b)
    return [Reason(kind, f"both {verb} {name(x)}", each) for x in sorted(shared)]


def _decision_reasons(other: Item, name) -> list[Reason]:
    decision = other.decision
    if decision is None:
        return []
    detail = f"{name(other.id)} was decided {decision.outcome}: {decision.rationale}"
    return [Reason("decision", detail, WEIGHTS["decision"])]


def _rounded(reason: Reason) -> Reason:
    return Reason(reason.kind, reason.detail, round(reason.weight, 4))


def rank(overlaps: Iterable[Overlap], min_score: float, first: int) -> list[Overlap]:
    """The `first` overlaps scoring at least `min_score`, best first, ties broken by ids."""
    kept = [o for o in overlaps if o.score >= min_score]
    kept.sort(key=lambda o: (-o.score, o.left, o.right))
    return kept[:first]
