"""The analysis projection follows the change log: after any sequence of writes, the projection
that applied them one by one answers exactly as one built afresh from the store."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from rolemap.analysis import closeout, queries
from rolemap.analysis.index import IndexCache, RegistryIndex, today
from rolemap.bundle import import_bundle
from rolemap.domain.actors import Actor, Role
from rolemap.domain.errors import UserErrors
from rolemap.graph.access import Graph
from rolemap.registry import Registry
from rolemap.seed import default_seed_dir, seed_bundle

from .conftest import TEST_ADMIN

WORDS = [
    "chatbot",
    "booking",
    "kiosk",
    "digital",
    "support",
    "video",
    "care",
    "elderly",
    "youth",
    "jobs",
    "data",
    "portal",
    "helpdesk",
    "botti",
    "palvelu",
    "tjänst",
]


def answers(view) -> dict:
    """Every analysis over the view, in comparable form (scores, reasons, ids)."""
    cities = sorted(view.city_kind)
    out: dict = {}
    for kind in ("SERVICE", "PILOT", "VENDOR"):
        out[kind, "all"] = queries.overlaps(view, None, kind, 0.0, 200)
        for city in cities[::3]:
            out[kind, city] = queries.overlaps(view, {city}, kind, 0.0, 50)
    for region in [c for c in cities if view.city_kind[c] in ("REGION", "METROPOLIS")]:
        out["SERVICE", "region", region] = queries.overlaps(
            view, view.with_members(region), "SERVICE", 0.0, 50
        )
    for city in cities:
        out["gaps", city] = queries.coverage_gaps(view, city, 5)
        out["rolemap", city] = queries.role_map(view, city, 5)
        out["radar", city] = queries.radar(view, city)
    for words in (["chatbot", "care"], ["digital", "support"], ["kiosk"]):
        draft = queries.PilotDraft(city_id=cities[0], title=" ".join(words))
        out["similar", *words] = queries.similar_pilots(view, draft, 0.0, 20)
    out["awaiting"] = closeout.awaiting_decision(view, None, 0, today())
    out["outcomes"] = closeout.outcomes(view, "CAPABILITY", None, None, today())
    return out


class Writer:
    """Random, valid writes through the use cases, as the registry's users make them."""

    def __init__(self, store, seed: int) -> None:
        self.registry = Registry(store)
        self.graph = Graph(store.read)
        self.rng = random.Random(seed)
        self.index = RegistryIndex.load(store)  # ids only grow: the first load is enough to pick from
        self.new_services: list[str] = []
        self.new_pilots: list[str] = []

    def pick(self, ids, k=1):
        ids = sorted(ids)
        return self.rng.sample(ids, min(k, len(ids)))

    def write(self) -> str:
        """One write; returns what it was (a refused one counts too: it must change nothing)."""
        r, ix = self.rng, self.index
        services = ix.services + self.new_services
        action = r.choice(
            [
                "register",
                "register",
                "update",
                "retire",
                "use",
                "use",
                "stop",
                "need",
                "pilot",
                "decide",
                "stance",
                "claim",
                "withdraw",
                "vendor",
            ]
        )
        try:
            if action == "register":
                vendor = self.pick(ix.vendors)[0]
                data = {
                    "vendorId": vendor,
                    "name": " ".join(self.pick(WORDS, 2)),
                    "description": " ".join(self.pick(WORDS, 4)),
                    "capabilityIds": self.pick(ix.capabilities, r.randint(1, 3)),
                    "needIds": self.pick(ix.need_status, r.randint(0, 2)),
                }
                self.new_services.append(self.registry.register_service(TEST_ADMIN, data)["id"])
            elif action == "update":
                self.registry.update_service(
                    TEST_ADMIN,
                    self.pick(services)[0],
                    {"capabilityIds": self.pick(ix.capabilities, 2), "name": r.choice(WORDS)},
                )
            elif action == "retire":
                self.registry.retire_service(TEST_ADMIN, self.pick(services)[0], "replaced")
            elif action == "use":
                since = date(2015, 1, 1) + timedelta(days=r.randint(0, 4000))
                self.registry.use_service(
                    TEST_ADMIN, self.pick(ix.city_kind)[0], self.pick(services)[0], since
                )
            elif action == "stop":
                city, service = r.choice(sorted(ix.uses_since)) if ix.uses_since else (None, None)
                self.registry.stop_using_service(
                    TEST_ADMIN, city, service, today() - timedelta(days=r.randint(0, 900))
                )
            elif action == "need":
                data = {
                    "cityId": self.pick(ix.city_kind)[0],
                    "title": " ".join(self.pick(WORDS, 2)),
                    "capabilityIds": self.pick(ix.capabilities, 2),
                }
                self.registry.create_need(TEST_ADMIN, data)
            elif action == "pilot":
                data = {
                    "cityId": self.pick(ix.city_kind)[0],
                    "title": " ".join(self.pick(WORDS, 3)),
                    "serviceIds": self.pick(services, 2),
                    "capabilityIds": self.pick(ix.capabilities, 1),
                    "needIds": self.pick(ix.need_status, 1),
                }
                pilot = self.registry.create_pilot(TEST_ADMIN, data)["id"]
                self.registry.start_pilot(TEST_ADMIN, pilot)
                self.new_pilots.append(pilot)
            elif action == "decide":
                pilot = self.pick(ix.pilots + self.new_pilots)[0]
                decision = {
                    "pilotId": pilot,
                    "outcome": r.choice(["LEARNED", "DEVELOP", "DROP"]),
                    "rationale": "Decided after the trial period ended",
                    "lessons": ["Residents asked for it"],
                    "nextSteps": ["Procure"],
                }
                self.registry.record_decision(TEST_ADMIN, decision)
            elif action == "stance":
                self.registry.set_stance(
                    TEST_ADMIN, self.pick(ix.city_kind)[0], self.pick(ix.capabilities)[0], "TRIAL", None
                )
            elif action == "withdraw":  # a need's status changes the items that address it
                self.registry.update_need(TEST_ADMIN, self.pick(ix.need_status)[0], {"status": "WITHDRAWN"})
            elif action == "vendor":  # a vendor's own text is part of its item
                self.registry.update_vendor(
                    TEST_ADMIN, self.pick(ix.vendors)[0], {"description": " ".join(self.pick(WORDS, 3))}
                )
            elif action == "claim":
                service = self.pick(services)[0]
                vendors = self.graph.related("OFFERS", "Vendor", "Service", "in", [service]).get(service)
                if vendors:
                    vendor = vendors[0][0]["id"]
                    actor = Actor(f"test:{vendor}", vendor, Role.VENDOR, vendor_id=vendor)
                    self.registry.use_service(actor, self.pick(ix.city_kind)[0], service, None)
        except UserErrors:
            return f"{action} (refused)"
        return action


@pytest.mark.parametrize("seed", [1, 2])
def test_a_followed_projection_answers_as_a_rebuilt_one(store, seed):
    import_bundle(store, seed_bundle(default_seed_dir()))
    followed = IndexCache(store)
    day = today()
    answers(followed.get().at(day))  # warm: the corpora and their matrices exist before any write
    answers(followed.get().at(day, verified_only=True))
    writer = Writer(store, seed)
    done = []
    for round_ in range(4):
        done += [writer.write() for _ in range(12)]
        index = followed.get()
        fresh = RegistryIndex.load(store)
        assert index.revision == fresh.revision == store.head()
        assert index is not fresh
        for verified in (False, True):
            got, want = answers(index.at(day, verified)), answers(fresh.at(day, verified))
            assert got.keys() == want.keys()
            for key in want:
                assert got[key] == want[key], (round_, verified, key, done)
    past = date(2019, 6, 1)
    assert answers(followed.get().at(past)) == answers(RegistryIndex.load(store).at(past))
    assert any(not d.endswith("(refused)") for d in done)


def test_the_matrices_follow_without_being_built_again(store):
    """A write leaves a large corpus's matrices in place (scale S, 5,000 services): the changed
    rows, and the rows of features whose weight moved, go by the formula; the answer is exact."""
    from rolemap.generate import generate_bundle

    import_bundle(store, generate_bundle("S", 1))
    cache = IndexCache(store)
    view = cache.get().at(today())
    queries.overlaps(view, None, "SERVICE", 0.3, 20)
    matrices = view.service_corpus.matrices()
    writer = Writer(store, 3)
    registry = Registry(store)
    vendor = writer.index.vendors[0]
    registry.register_service(
        TEST_ADMIN,
        {"vendorId": vendor, "name": "Digital support desk", "capabilityIds": writer.index.capabilities[:2]},
    )
    view = cache.get().at(today())
    assert view.service_corpus.matrices() is matrices
    assert matrices.out_of_date and matrices.drift > 0
    assert queries.overlaps(view, None, "SERVICE", 0.0, 100) == queries.overlaps(
        RegistryIndex.load(store).at(today()), None, "SERVICE", 0.0, 100
    )


def test_small_neighbour_sets_are_shared_and_large_ones_are_a_nodes_own():
    """Memory (issue 11): the services of one vendor hold one `{vendor}` between them; a node with
    more than `SHARED_UP_TO` neighbours has a set of its own; removing and adding edges keeps what
    each node reads as its neighbours exact, whichever kind it holds."""
    from rolemap.analysis.index import SHARED_UP_TO

    index = RegistryIndex()
    for n in range(3):
        index.add_edge("OFFERS", "Vendor:v-1", f"Service:s-{n}", {})
    offered = index.into["OFFERS"]
    assert offered["Service:s-0"] == {"Vendor:v-1"} and offered["Service:s-0"] is offered["Service:s-2"]
    caps = [f"Capability:c-{n}" for n in range(SHARED_UP_TO + 2)]
    for cap in caps:
        index.add_edge("HAS_CAPABILITY", "Service:s-0", cap, {})
        index.add_edge("HAS_CAPABILITY", "Service:s-1", cap, {})
    has = index.out["HAS_CAPABILITY"]
    assert has["Service:s-0"] == set(caps) and has["Service:s-0"] is not has["Service:s-1"]
    index.remove_edge("HAS_CAPABILITY", "Service:s-0", caps[0])
    assert has["Service:s-0"] == set(caps[1:]) and has["Service:s-1"] == set(caps)
    index.remove_edge("OFFERS", "Vendor:v-1", "Service:s-1")
    assert not offered["Service:s-1"] and offered["Service:s-2"] == {"Vendor:v-1"}
    assert index.out["OFFERS"]["Vendor:v-1"] == {"Service:s-0", "Service:s-2"}
    index.add_edge("OFFERS", "Vendor:v-2", "Service:s-1", {})
    index.add_edge("OFFERS", "Vendor:v-2", "Service:s-2", {})
    assert offered["Service:s-1"] == {"Vendor:v-2"} and offered["Service:s-2"] == {"Vendor:v-1", "Vendor:v-2"}
    assert offered["Service:s-0"] == {"Vendor:v-1"}


def test_a_snapshot_whose_work_runs_again_builds_the_index_once(store, monkeypatch):
    """The Neo4j driver runs a read transaction's work again after a transient failure: the index
    is built from the run that succeeded, not from both (stance histories, spellings and
    relationships counted once)."""
    import_bundle(store, seed_bundle(default_seed_dir()))
    once = RegistryIndex.load(store)
    snapshot = store.snapshot

    def twice(work):
        snapshot(work)  # as if the first run's commit failed
        return snapshot(work)

    monkeypatch.setattr(store, "snapshot", twice)
    again = RegistryIndex.load(store)
    assert once.stances and again.stances == once.stances
    assert again.term_words.counts == once.term_words.counts
    assert again.out == once.out and again.into == once.into
    day = today()
    assert answers(again.at(day)) == answers(once.at(day))
