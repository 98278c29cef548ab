"""The analyses' read model saved between runs (analysis/checkpoint.py): a server started again
begins from it, follows the writes made since, and answers exactly as a model built from the store;
a saved model that is not this registry's, or not this code's, is never used."""

from __future__ import annotations

import logging
import pickle
import time

from starlette.testclient import TestClient

from rolemap.analysis import checkpoint
from rolemap.analysis.index import IndexCache, RegistryIndex, today
from rolemap.api.app import create_app
from rolemap.bundle import import_bundle
from rolemap.config import Settings
from rolemap.graph.ladybug_store import LadybugStore
from rolemap.registry import Registry
from rolemap.seed import default_seed_dir, seed_bundle

from .conftest import TEST_ADMIN
from .test_analysis import BUILD_STATEMENTS
from .test_projection import Writer, answers


def seeded(store):
    import_bundle(store, seed_bundle(default_seed_dir()))
    return store


def test_a_saved_model_followed_to_the_head_answers_as_one_built_from_the_store(store, tmp_path):
    seeded(store)
    path = tmp_path / "saved.analysis"
    first = IndexCache(store, saved=path)
    answers(first.get().at(today()))  # corpora, their matrices and rankings exist, and are saved
    assert first.save()
    assert not first.save(), "nothing new to save"
    writer = Writer(store, 5)
    done = [writer.write() for _ in range(12)]

    again = IndexCache(store, saved=path)
    before = store.statement_count
    index = again.get()
    assert again._saved_as[1] < index.revision, "begun from the saved revision"
    assert store.statement_count - before < BUILD_STATEMENTS / 2, "then followed, not built again"
    fresh = RegistryIndex.load(store)
    assert index.revision == fresh.revision == store.head()
    for verified in (False, True):
        got, want = answers(index.at(today(), verified)), answers(fresh.at(today(), verified))
        for key in want:
            assert got[key] == want[key], (verified, key, done)
    assert again.save(), "the newer revision is saved"
    assert checkpoint.load(path, store).revision == store.head()


def test_a_saved_model_is_used_only_for_its_own_registry(store, tmp_path):
    seeded(store)
    path = tmp_path / "saved.analysis"
    cache = IndexCache(store, saved=path)
    cache.get()
    assert cache.save()
    revision, token = store.identity()
    saved = checkpoint.header(store, revision, token)
    assert checkpoint.mismatch(saved, store) is None
    assert checkpoint.load(path, store) is not None

    # Another registry: the same data loaded into another store has a token of its own.
    other = LadybugStore(tmp_path / "other.lbug")
    other.apply_schema()
    seeded(other)
    try:
        assert "another registry" in checkpoint.mismatch(saved, other)
        assert checkpoint.load(path, other) is None
    finally:
        other.close()

    # Ahead of the registry, other code, or another change record at the same revision: not used.
    assert "ahead" in checkpoint.mismatch({**saved, "revision": revision + 1}, store)
    assert "other code" in checkpoint.mismatch({**saved, "code": "0" * 64}, store)
    assert "change record" in checkpoint.mismatch(
        {**saved, "change": ("2020-01-01T00:00:00+00:00", "x")}, store
    )

    # A write through the use cases keeps the token (the saved model then follows it)…
    Registry(store).create_theme(TEST_ADMIN, {"name": "Saved and followed"})
    assert store.identity()[1] == token
    assert checkpoint.load(path, store) is not None
    # …an import starts a new history: the saved model is another registry's.
    import_bundle(store, seed_bundle(default_seed_dir()), replace=True)
    assert store.identity()[1] != token
    assert checkpoint.load(path, store) is None


def test_an_unreadable_saved_model_is_built_again_from_the_store(ladybug_store, tmp_path, caplog):
    seeded(ladybug_store)
    path = tmp_path / "saved.analysis"
    path.write_bytes(pickle.dumps(checkpoint.header(ladybug_store, *ladybug_store.identity()))[:-3])
    with caplog.at_level(logging.WARNING, logger="rolemap.analysis.checkpoint"):
        assert checkpoint.load(path, ladybug_store) is None
    assert "could not read the saved analysis read model" in caplog.text

    cache = IndexCache(ladybug_store, saved=path)
    cache.start_once()  # what a server does at start: builds, and saves what it built
    deadline = time.monotonic() + 60
    while not cache.ready and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cache.ready and cache.failure is None
    assert checkpoint.load(path, ladybug_store).revision == ladybug_store.head()
    cache.pool.shutdown()


def test_a_server_saves_its_model_after_building_it_and_when_it_stops(ladybug_store):
    seeded(ladybug_store)
    path = checkpoint.path_for("auto", ladybug_store)
    assert path == ladybug_store.path.with_name(ladybug_store.path.name + ".analysis")
    assert not path.exists()
    with TestClient(create_app(ladybug_store)) as client:
        while client.get("/readyz").status_code != 200:
            pass
        assert checkpoint.load(path, ladybug_store).revision == ladybug_store.head()
        Registry(ladybug_store).create_theme(TEST_ADMIN, {"name": "Written before stopping"})
        wal = ladybug_store.path.with_name(ladybug_store.path.name + ".wal")
        assert wal.exists()
    assert not wal.exists(), "the writes' memory given back (a checkpoint) before saving"
    saved = checkpoint.load(path, ladybug_store)
    assert saved.revision == ladybug_store.head(), "saved again as it stopped, with the last write"
    with TestClient(create_app(ladybug_store, Settings(analysis_saved="off"))) as client:
        while client.get("/readyz").status_code != 200:
            pass
        Registry(ladybug_store).create_theme(TEST_ADMIN, {"name": "Not saved"})
    assert checkpoint.load(path, ladybug_store).revision == saved.revision


def test_where_the_model_is_saved(ladybug_store, tmp_path):
    assert checkpoint.path_for("off", ladybug_store) is None
    assert checkpoint.path_for(str(tmp_path / "x"), ladybug_store) == tmp_path / "x"
    assert checkpoint.path_for("auto", object()) is None, "a server store: only where configured"
    assert Settings.from_env({"ROLEMAP_ANALYSIS_SAVED": "off"}).analysis_saved == "off"


def test_the_registry_token_changes_only_with_a_write_without_a_change_record(store):
    revision, token = store.identity()
    assert len(token) == 32
    store.apply_schema()  # a second start keeps it
    assert store.identity() == (revision, token)
    Registry(store).create_theme(TEST_ADMIN, {"name": "Recorded"})
    assert store.identity() == (revision + 1, token)
    store.write(lambda tx: None)  # no change record: a new history
    assert store.identity()[1] != token


def test_a_registry_head_from_before_tokens_gets_one_at_start(ladybug_store):
    ladybug_store._execute(ladybug_store._writer, "MATCH (h:Registry) SET h.token = NULL", {})
    revision = ladybug_store.identity()[0]
    assert ladybug_store.identity()[1] is None
    ladybug_store.apply_schema()
    revision_after, token = ladybug_store.identity()
    assert revision_after == revision and token and len(token) == 32
    ladybug_store.apply_schema()
    assert ladybug_store.identity() == (revision, token)
