"""The overlap formula on hand-built cases, with exact expected scores (see rolemap/domain/overlap.py)."""

from __future__ import annotations

import math
import random
from dataclasses import replace

import pytest

from rolemap.domain import bulk
from rolemap.domain.overlap import WEIGHTS, Corpus, Decision, Item, rank


def item(id_, caps=(), needs=(), themes=(), cities=(), regions=(), words=(), decision=None) -> Item:
    return Item(
        id=id_,
        capabilities=frozenset(caps),
        needs=frozenset(needs),
        themes=frozenset(themes),
        cities=frozenset(cities),
        regions=frozenset(regions),
        terms=tuple(words),
        decision=decision,
    )


@pytest.fixture
def corpus() -> Corpus:
    return Corpus(
        [
            item("S:a", caps=["c1", "c2"], cities=["X"], words=["chatbot", "health"]),
            item("S:b", caps=["c1", "c2"], cities=["X"], words=["chatbot", "health"]),
            item("S:c", caps=["c3"], words=["kiosk"]),
            item("S:d", caps=["c1"], words=["booking"]),
        ],
        names={"c1": "Chatbot", "c2": "Health advice", "X": "Tampere"},
    )


def pairs(corpus: Corpus, ids=None) -> set[tuple[str, str]]:
    left, right = corpus.matrices().pairs_within(ids)
    names = corpus.matrices().ids
    return {(names[a], names[b]) for a, b in zip(left, right, strict=True)}


def test_weights_add_up_to_one():
    assert math.isclose(sum(WEIGHTS.values()), 1.0)


def test_identical_services_in_one_city(corpus):
    found = corpus.compare(corpus.items["S:a"], corpus.items["S:b"])
    idf1, idf2 = math.log(1 + 4 / 3), math.log(1 + 4 / 2)
    assert [(r.kind, r.weight) for r in found.reasons] == [
        ("capability", round(0.40 * idf2 / (idf1 + idf2), 4)),  # 0.2258: the rarer one weighs more
        ("text", 0.2),
        ("capability", round(0.40 * idf1 / (idf1 + idf2), 4)),  # 0.1742
        ("place", 0.1),
    ]
    assert found.score == 0.7
    assert found.score == round(sum(r.weight for r in found.reasons), 4)
    assert found.reasons[0].detail == "both have capability Health advice (2 of 4 have it)"
    assert found.reasons[3].detail == "both in Tampere"


def test_one_shared_common_capability(corpus):
    found = corpus.compare(corpus.items["S:a"], corpus.items["S:d"])
    idf1, idf2 = math.log(1 + 4 / 3), math.log(1 + 4 / 2)
    assert found.score == round(0.40 * idf1 / (idf1 + idf2), 4) == 0.1742
    assert [r.kind for r in found.reasons] == ["capability"]


def test_no_overlap_when_capabilities_and_text_differ(corpus):
    assert corpus.compare(corpus.items["S:a"], corpus.items["S:c"]).score == 0
    assert corpus.compare(corpus.items["S:a"], corpus.items["S:c"]).reasons == ()
    assert pairs(corpus) == {("S:a", "S:b"), ("S:a", "S:d"), ("S:b", "S:d")}
    assert pairs(corpus, ["S:a", "S:c", "S:d"]) == {("S:a", "S:d")}


def test_ranking_is_by_score_then_ids(corpus):
    found = [corpus.compare(corpus.items[a], corpus.items[b]) for a, b in sorted(pairs(corpus))]
    ranked = rank(found, min_score=0.1, first=10)
    assert [(o.left, o.right, o.score) for o in ranked] == [
        ("S:a", "S:b", 0.7),
        ("S:a", "S:d", 0.1742),
        ("S:b", "S:d", 0.1742),
    ]
    assert rank(found, min_score=0.3, first=10) == ranked[:1]
    assert rank(found, min_score=0.1, first=2) == ranked[:2]


def test_needs_themes_region_and_partial_text():
    corpus = Corpus(
        [
            item(
                "P:a",
                needs=["n1", "n2"],
                themes=["t1"],
                regions=["R"],
                cities=["X"],
                words=["bot", "night", "care"],
            ),
            item(
                "P:b", needs=["n1"], themes=["t1", "t2"], regions=["R"], cities=["Y"], words=["bot", "night"]
            ),
            item("P:c", words=["care"]),
        ]
    )
    found = corpus.compare(corpus.items["P:a"], corpus.items["P:b"])
    idf_bot, idf_night, idf_care = (math.log(1 + 3 / 2),) * 3
    cosine = (idf_bot**2 + idf_night**2) / (
        math.sqrt(idf_bot**2 + idf_night**2 + idf_care**2) * math.sqrt(idf_bot**2 + idf_night**2)
    )
    expected = {
        "need": round(0.15 / 2, 4),  # 1 shared of 2
        "theme": round(0.10 / 2, 4),  # 1 shared of 2
        "text": round(0.20 * cosine, 4),
        "place": 0.05,  # same region, not same city
    }
    assert {r.kind: r.weight for r in found.reasons} == expected
    assert found.score == round(sum(expected.values()), 4) == 0.3383
    text = next(r for r in found.reasons if r.kind == "text")
    assert text.detail == "similar wording: bot, night"


def test_the_other_pilots_decision_is_a_reason():
    dropped = Decision("Decision:d", "DROP", "Residents did not use it")
    corpus = Corpus(
        [item("P:new", caps=["c"]), item("P:old", caps=["c"], decision=dropped)], {"P:old": "Old bot"}
    )
    found = corpus.compare(corpus.items["P:new"], corpus.items["P:old"])
    assert found.score == 0.45
    assert found.reasons[-1].detail == "Old bot was decided DROP: Residents did not use it"
    assert found.reasons[-1].weight == WEIGHTS["decision"]


def test_ubiquitous_features_count_but_do_not_pair(monkeypatch):
    import rolemap.domain.overlap as module

    monkeypatch.setattr(module, "MIN_MAX_DF", 2)
    items = [item(f"S:{i}", caps=["common"]) for i in range(5)] + [
        item("S:x", caps=["common", "rare"]),
        item("S:y", caps=["common", "rare"]),
    ]
    corpus = Corpus(items)
    assert pairs(corpus) == {("S:x", "S:y")}
    found = corpus.compare(corpus.items["S:x"], corpus.items["S:y"])
    assert {r.detail.split(" (")[0] for r in found.reasons} == {
        "both have capability common",
        "both have capability rare",
    }
    assert found.score == 0.4


def random_corpus(seed: int, size: int = 60) -> Corpus:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(40)]
    items = []
    for i in range(size):
        items.append(
            item(
                f"S:{i:03}",
                caps=rng.sample([f"c{k}" for k in range(12)], rng.randint(0, 4)),
                needs=rng.sample([f"n{k}" for k in range(15)], rng.randint(0, 2)),
                themes=rng.sample(["t1", "t2", "t3"], rng.randint(0, 2)),
                cities=rng.sample(["X", "Y", "Z", "V"], rng.randint(0, 1)),
                regions=rng.sample(["R", "Q"], rng.randint(0, 1)),
                words=rng.choices(words, k=rng.randint(0, 6)),
                decision=Decision(f"D:{i}", "DROP", "why") if rng.random() < 0.3 else None,
            )
        )
    return Corpus(items)


@pytest.mark.parametrize("seed", range(5))
def test_bulk_scoring_gives_exactly_what_the_formula_says(seed, monkeypatch):
    import rolemap.domain.overlap as module

    monkeypatch.setattr(module, "MIN_MAX_DF", 8)  # some features too common to pair on
    corpus = random_corpus(seed)
    candidates = pairs(corpus)
    brute = [corpus.compare(corpus.items[a], corpus.items[b]) for a, b in candidates]
    left, right = corpus.matrices().pairs_within(None)
    bulk = corpus.matrices().scores(left, right)
    exact = {(o.left, o.right): o.score for o in brute}
    names = corpus.matrices().ids
    for a, b, score in zip(left, right, bulk, strict=True):
        assert abs(score - exact[names[a], names[b]]) < 0.002
    for min_score, first in ((0.0, 500), (0.2, 10), (0.35, 3)):
        assert corpus.best_within(None, min_score, first) == rank(brute, min_score, first)
    inside = set(sorted(corpus.items)[:20])
    across = []
    for o in brute:
        if o.left in inside or o.right in inside:
            flip = o.right in inside and o.left not in inside
            across.append(corpus.compare(corpus.items[o.right], corpus.items[o.left]) if flip else o)
    assert corpus.best_from(inside, 0.1, 20) == rank(across, 0.1, 20)


@pytest.mark.parametrize("seed", range(3))
def test_a_followed_corpus_lists_holders_and_pairs_as_a_fresh_one(seed, monkeypatch):
    """Postings are kept for the features that can pair items (and a margin), not the common ones;
    through adds, changes and removals that move features across that bound and move the bound
    itself (the corpus grows, then shrinks), holders, candidates and answers stay exact, and the
    matrices follow it all, `max_df` moving included."""
    import rolemap.domain.overlap as module

    monkeypatch.setattr(module, "MIN_MAX_DF", 3)
    monkeypatch.setattr(module, "MAX_DF_SHARE", 0.1)
    monkeypatch.setattr(bulk, "MAX_OUT_OF_DATE", 100.0)  # the matrices follow every change
    monkeypatch.setattr(bulk, "MAX_DRIFT", math.inf)
    rng = random.Random(seed)
    corpus = random_corpus(seed, size=40)
    matrices = corpus.matrices()
    bounds, next_id = [], 40
    for step in range(40):
        changed: dict[str, Item | None] = {}
        for _ in range(rng.randint(3, 7)):
            new = random_corpus(rng.randrange(10_000), size=1).items["S:000"]
            if step < 20:  # growing: new items, and changes to some
                target = f"S:{next_id:03}" if rng.random() < 0.8 else rng.choice(sorted(corpus.items))
                next_id += 1
                changed[target] = replace(new, id=target)
            else:  # shrinking: removals, and changes
                target = rng.choice(sorted(set(corpus.items) - set(changed)))
                changed[target] = None if rng.random() < 0.7 else replace(new, id=target)
        corpus.update(changed)
        bounds.append((corpus.max_df, corpus._posted))
        fresh = Corpus(corpus.items.values())
        assert corpus.df == fresh.df
        assert all(corpus.df[k] <= corpus._posted for k in corpus._postings)  # no common features
        for feature in corpus.df:
            assert corpus.holders(feature) == {
                i for i, x in corpus.items.items() if feature in module.candidate_features(x)
            }
        for x in corpus.items.values():
            assert corpus.candidates_of(x) == fresh.candidates_of(x)
        assert corpus.best_within(None, 0.1, 50) == fresh.best_within(None, 0.1, 50)
    assert corpus.matrices() is matrices  # followed, never built again
    assert len({posted for _, posted in bounds}) > 1  # the bound was set again as the corpus grew
    assert bounds[-1][0] < max(max_df for max_df, _ in bounds)  # and max_df fell as it shrank


def test_matrices_that_follow_a_growing_corpus_pair_on_features_it_made_specific(monkeypatch):
    """A corpus that grows past a bound makes `max_df` larger: a feature three items share, too
    common to pair them before, pairs them now, though none of the three changed."""
    import rolemap.domain.overlap as module

    monkeypatch.setattr(module, "MIN_MAX_DF", 2)
    monkeypatch.setattr(module, "MAX_DF_SHARE", 0.1)
    monkeypatch.setattr(bulk, "MAX_OUT_OF_DATE", 100.0)  # follow rather than build again
    monkeypatch.setattr(bulk, "MAX_DRIFT", math.inf)
    shared = [item(f"S:{x}", caps=["x"]) for x in "abc"]
    corpus = Corpus(shared + [item(f"S:{i:02}", caps=[f"u{i}"]) for i in range(20)])
    matrices = corpus.matrices()
    assert corpus.max_df == 2 and corpus.best_within(None, 0.1, 10) == []
    corpus.update({f"S:{i:02}": item(f"S:{i:02}", caps=[f"u{i}"]) for i in range(20, 30)})
    assert corpus.max_df == 3 and corpus.matrices() is matrices
    found = corpus.best_within(None, 0.1, 10)
    assert [(o.left, o.right) for o in found] == [("S:a", "S:b"), ("S:a", "S:c"), ("S:b", "S:c")]
    assert found == Corpus(corpus.items.values()).best_within(None, 0.1, 10)
