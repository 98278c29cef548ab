"""The `rolemap` command: serve, seed, generate, report, export, import, schema.

Configuration comes from `ROLEMAP_*` variables (see config.py); a bad value or an unusable store
stops with one clear line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

from .config import ConfigError, Settings
from .domain.actors import ROLES

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        return args.run(settings, args) or 0
    except ConfigError as exc:
        return _fail(f"configuration: {exc}")
    except UserFacingError as exc:
        return _fail(str(exc))


class UserFacingError(Exception):
    """An error whose message is the whole story for the person at the terminal."""


def _fail(message: str) -> int:
    print(f"rolemap: {message}", file=sys.stderr)
    return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rolemap", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the GraphQL API (loads the sample into an empty store)")
    serve.add_argument("--host", help="address to bind (default ROLEMAP_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default ROLEMAP_PORT or 8000)")
    serve.add_argument("--no-seed", action="store_true", help="do not load the sample role map")
    serve.set_defaults(run=_serve)

    seed = sub.add_parser("seed", help="load the sample role map")
    seed.add_argument("--reset", action="store_true", help="delete everything first")
    seed.set_defaults(run=_seed)

    gen = sub.add_parser("generate", help="write a reproducible synthetic registry (for load tests)")
    gen.add_argument("--scale", choices=("S", "M", "L"), default="S", help="size: S ≈ 1/10 of M, L ≈ 3× M")
    gen.add_argument("--seed", type=int, default=1, help="the same seed gives the same registry (default 1)")
    gen.add_argument("--replace", action="store_true", help="delete everything first")
    gen.set_defaults(run=_generate)

    report = sub.add_parser("report", help="a city's pilot close-out: awaiting decisions, decisions, lessons")
    report.add_argument("--city", required=True, help="city id, e.g. City:tampere")
    report.add_argument("--format", choices=("md", "csv"), default="md")
    report.add_argument("--year", type=int, help="the year of decisions to list (default: this year)")
    report.set_defaults(run=_report)

    keys = sub.add_parser("keys", help="API keys for machine clients: create, list, revoke")
    keys_sub = keys.add_subparsers(required=True, metavar="ACTION")
    create = keys_sub.add_parser("create", help="create a key; it is printed once, as the last line")
    create.add_argument("--role", required=True, type=str.upper, choices=ROLES)
    create.add_argument("--city", help="CITY and PROCUREMENT keys: the city or region they act for")
    create.add_argument("--vendor", help="VENDOR keys: the vendor they act for")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.set_defaults(run=_keys_create)
    listing = keys_sub.add_parser("list", help="list keys (never the keys themselves)")
    listing.set_defaults(run=_keys_list)
    revoke = keys_sub.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("id", help="the key's id, e.g. ApiKey:0123abcd4567ef89")
    revoke.set_defaults(run=_keys_revoke)

    export = sub.add_parser("export", help="write the whole registry as a JSON bundle")
    export.add_argument("file", help="output path, or - for stdout")
    export.set_defaults(run=_export)

    imp = sub.add_parser("import", help="load a JSON bundle into an empty store")
    imp.add_argument("file", help="bundle path, or - for stdin")
    imp.add_argument("--replace", action="store_true", help="delete everything first")
    imp.set_defaults(run=_import)

    schema = sub.add_parser("schema", help="write schema/*.cypher and schema/rolemap.graphql")
    schema.add_argument("--dir", default=str(REPO / "schema"), help="output folder")
    schema.add_argument(
        "--statements", metavar="FILE", help="also write every Neo4j statement as JSON (for the linter)"
    )
    schema.set_defaults(run=_schema)
    return parser


def _open(settings: Settings, server_ok: bool = False):
    """The store; with `server_ok`, None when a rolemap server holds the embedded file (the
    command then asks that server instead)."""
    from .graph.store import StoreError, StoreLockedError, open_store

    try:
        return open_store(settings)
    except StoreLockedError as exc:
        if server_ok:
            return None
        raise UserFacingError(str(exc)) from None
    except StoreError as exc:
        raise UserFacingError(str(exc)) from None


def _serve(settings: Settings, args) -> int:
    import uvicorn

    from .api.app import create_app
    from .api.logs import logging_config

    store = _open(settings)
    try:
        if not args.no_seed:
            _seed_if_empty(store, settings)
        host = _safe_host(args.host or settings.host, store, settings)
        port = args.port or settings.port
        print(f"rolemap: {store.dialect} store; GraphQL at http://{host}:{port}/graphql", file=sys.stderr)
        _say_how_to_get_a_key(store, settings)
        app = create_app(store, settings)
        _fewer_malloc_arenas()
        _fewer_full_collections()
        # Analyses run in threads beside the event loop: the loop waits for the interpreter lock
        # at most this long (default 5 ms) before it answers the next plain request.
        sys.setswitchinterval(0.001)
        uvicorn.run(app, host=host, port=port, log_config=logging_config(), access_log=settings.access_log)
    finally:
        store.close()
    return 0


def _fewer_full_collections() -> None:
    """A full garbage collection walks every object the collector tracks and has not frozen, holding
    the interpreter lock. With the read model frozen, that is what requests have in flight: at scale
    M under writes and analyses, 40,000-500,000 objects (an analysis answer's tasks and
    coroutines), 60-250 ms per collection, several a second; plain requests waited meanwhile
    (benchmarks/freshness.py: p99 48 ms beside the analyses after a write). One full collection per
    1,000 collections of the middle generation instead of 10 (the young ones stay small and
    frequent): p99 10 ms in the same run."""
    import gc

    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def _fewer_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own 64 MB arena, and memory freed in one is not
    reused by another: with the read, analysis and database threads, a server's resident memory
    grew by hundreds of MB of free space. Two arenas (as MALLOC_ARENA_MAX=2) keep it compact."""
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _safe_host(host: str, store, settings: Settings) -> str:
    """Bind beyond loopback only when callers can authenticate (an identity provider, or at least
    one API key); otherwise stay on 127.0.0.1 and say so loudly."""
    from .registry import Registry

    if host in LOOPBACK or settings.oidc or Registry(store).api_keys():
        return host
    bar = "!" * 78
    print(
        f"{bar}\nrolemap: NOT binding {host}: no authentication is configured (no API key, no "
        "ROLEMAP_OIDC_*),\nso nobody could be told apart from anybody else. Serving on 127.0.0.1 only.\n"
        "Create a key first (rolemap keys create --role ADMIN --name NAME) or configure OIDC.\n"
        f"{bar}",
        file=sys.stderr,
    )
    return "127.0.0.1"


def _say_how_to_get_a_key(store, settings: Settings) -> None:
    from .registry import Registry

    if settings.oidc or Registry(store).has_admin_key():
        return
    stop = " (stop the server first: the embedded store has one owner)" if store.dialect == "ladybug" else ""
    command = sys.argv[0] if Path(sys.argv[0]).name == "rolemap" else "rolemap"
    print(
        "rolemap: anyone may read; writing needs a key. Create the first ADMIN key with\n"
        f"           {command} keys create --role ADMIN --name YOUR-NAME{stop}\n"
        "         and send it as Authorization: Bearer <key> (GraphiQL: the Headers tab).",
        file=sys.stderr,
    )


def _seed_if_empty(store, settings: Settings) -> None:
    from .bundle import is_empty
    from .graph.access import Graph

    if not is_empty(Graph(store.read)):
        return
    counts = _load_seed(store, settings, replace=False)
    if counts is None:
        return  # another instance on the same database loaded it meanwhile
    print(f"rolemap: loaded the sample role map ({_describe(counts)})", file=sys.stderr)


def _load_seed(store, settings: Settings, replace: bool) -> dict[str, int] | None:
    """Load the sample; None when the store turned out not to be empty (checked in the write)."""
    from .bundle import BundleError, StoreNotEmptyError, import_bundle
    from .seed import default_seed_dir, seed_bundle

    try:
        seed_dir = settings.seed_dir or default_seed_dir()
        return import_bundle(store, seed_bundle(seed_dir), replace=replace)
    except StoreNotEmptyError:
        if replace:
            raise
        return None
    except (BundleError, FileNotFoundError) as exc:
        raise UserFacingError(f"sample role map: {exc}") from None


def _seed(settings: Settings, args) -> int:
    import yaml

    store = _open(settings)
    try:
        counts = _load_seed(store, settings, replace=args.reset)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserFacingError(
            f"sample role map: cannot read a seed file: {' '.join(str(exc).split())}"
        ) from None
    finally:
        store.close()
    if counts is None:
        raise UserFacingError("sample role map: the store is not empty: use --reset to replace what is there")
    print(f"loaded the sample role map: {_describe(counts)}")
    return 0


def _describe(counts: dict[str, int]) -> str:
    from .graph.schema import NODES

    nodes = sum(n for k, n in counts.items() if k in NODES)
    rels = sum(n for k, n in counts.items() if k not in NODES)
    return f"{nodes} nodes, {rels} relationships"


def _report(settings: Settings, args) -> int:
    from datetime import UTC, datetime

    from .analysis import report
    from .analysis.index import RegistryIndex
    from .domain.errors import UserErrors

    today = datetime.now(UTC).date()
    store = _open(settings, server_ok=True)
    if store is None:  # the server owns the embedded store: it writes the report
        year = f"?year={args.year}" if args.year else ""
        sys.stdout.write(_from_server(settings, f"/report/{quote(args.city)}.{args.format}{year}"))
        return 0
    try:
        index = RegistryIndex.load(store).at(today)
        found = report.city_report(
            index, args.city, args.year or today.year, today, settings.max_pilot_months
        )
    except UserErrors as exc:
        raise UserFacingError(exc.errors[0].message) from None
    finally:
        store.close()
    sys.stdout.write(report.markdown(index, found) if args.format == "md" else report.table(index, found))
    return 0


def _from_server(settings: Settings, path: str) -> str:
    """GET `path` from the rolemap server that holds the store (ROLEMAP_HOST/PORT), with the key in
    ROLEMAP_API_KEY when one is set."""
    import os
    import urllib.error
    import urllib.request

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = f"http://{host}:{settings.port}{path}"
    key = os.environ.get("ROLEMAP_API_KEY", "").strip()
    request = urllib.request.Request(url, headers={"authorization": f"Bearer {key}"} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:300]
        hint = " (set ROLEMAP_API_KEY to an ADMIN key)" if exc.code in (401, 403) else ""
        raise UserFacingError(f"the server at {url} answered {exc.code}: {detail}{hint}") from None
    except OSError as exc:
        raise UserFacingError(
            f"the embedded store is held by another process, and no rolemap server answers at {url}: {exc}"
        ) from None


def _cli_actor():
    """Whoever runs the command on this machine: an ADMIN (they hold the database itself)."""
    import getpass
    import socket

    from .domain.actors import Actor, Role

    user = getpass.getuser()
    return Actor(id=f"cli:{user}@{socket.gethostname()}", name=user, role=Role.ADMIN)


def _user_errors(fn, *args):
    from .domain.errors import UserErrors

    try:
        return fn(*args)
    except UserErrors as exc:
        raise UserFacingError("; ".join(f"{e.field}: {e.message} ({e.code})" for e in exc.errors)) from None


def _keys_create(settings: Settings, args) -> int:
    from .registry import Registry

    data = {"role": args.role, "name": args.name, "cityId": args.city, "vendorId": args.vendor}
    store = _open(settings)
    try:
        key, record = _user_errors(Registry(store).create_api_key, _cli_actor(), data)
    finally:
        store.close()
    scope = record["cityId"] or record["vendorId"] or ("everything" if args.role == "ADMIN" else "read only")
    print(f"created {record['id']} ({record['role']}, {scope})")
    print("the key is shown this once; send it as Authorization: Bearer <key>:")
    print(key)
    return 0


def _keys_list(settings: Settings, args) -> int:
    from .registry import Registry

    store = _open(settings)
    try:
        keys = Registry(store).api_keys()
    finally:
        store.close()
    for k in keys:
        state = f"revoked {k['revokedAt']:%Y-%m-%d}" if k["revokedAt"] else "active"
        scope = k["cityId"] or k["vendorId"] or "-"
        print(f"{k['id']}\t{k['role']}\t{scope}\t{state}\t{k['createdAt']:%Y-%m-%d}\t{k['name']}")
    if not keys:
        print("no keys yet: rolemap keys create --role ADMIN --name YOUR-NAME", file=sys.stderr)
    return 0


def _keys_revoke(settings: Settings, args) -> int:
    from .registry import Registry

    store = _open(settings)
    try:
        record = _user_errors(Registry(store).revoke_api_key, _cli_actor(), args.id)
    finally:
        store.close()
    print(f"revoked {record['id']} ({record['role']}, {record['name']})")
    return 0


def _export(settings: Settings, args) -> int:
    from .bundle import bundle_text, export_bundle

    store = _open(settings, server_ok=True)
    if store is None:  # the server owns the embedded store: it exports (ADMIN key in ROLEMAP_API_KEY)
        text = _from_server(settings, "/export.json")
        bundle = json.loads(text)
    else:
        try:
            bundle = export_bundle(store)
        finally:
            store.close()
        text = bundle_text(bundle)
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8")
        print(f"exported {sum(len(v) for v in bundle['nodes'].values())} nodes to {args.file}")
    return 0


def _import(settings: Settings, args) -> int:
    from .bundle import BundleError, import_bundle
    from .graph.store import StoreError

    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        bundle = json.loads(raw)
    except (OSError, UnicodeDecodeError) as exc:
        raise UserFacingError(f"cannot read {args.file}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UserFacingError(f"{args.file} is not JSON: {exc}") from None
    except ValueError as exc:  # e.g. a number of more digits than Python converts
        raise UserFacingError(f"{args.file} is not JSON that rolemap can read: {exc}") from None
    except RecursionError:
        raise UserFacingError(f"{args.file}: the JSON is nested too deeply to be a rolemap bundle") from None
    store = _open(settings)
    try:
        counts = import_bundle(store, bundle, replace=args.replace)
    except BundleError as exc:
        raise UserFacingError(str(exc)) from None
    except StoreError as exc:  # the bundle passed validation, yet the database refused it
        raise UserFacingError(f"the bundle was not imported: {exc}") from None
    finally:
        store.close()
    print(f"imported {_describe(counts)} from {args.file}")
    return 0


def _generate(settings: Settings, args) -> int:
    from .bundle import BundleError, import_bundle, is_empty
    from .generate import bundle_counts, generate_bundle
    from .graph.access import Graph
    from .graph.store import StoreError

    started = time.perf_counter()
    store = _open(settings)
    try:
        if not args.replace and not is_empty(Graph(store.read)):
            raise UserFacingError("the store is not empty: generate into an empty store, or use --replace")
        print(f"generating {args.scale} (seed {args.seed})…", end="", file=sys.stderr, flush=True)
        bundle = generate_bundle(args.scale, args.seed)
        nodes, rels = bundle_counts(bundle)
        print(
            f" {nodes:,} nodes, {rels:,} relationships in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        progress = _Progress(sys.stderr)
        counts = import_bundle(store, bundle, replace=args.replace, progress=progress)
        progress.finish()
    except BundleError as exc:
        raise UserFacingError(str(exc)) from None
    except StoreError as exc:
        raise UserFacingError(f"the registry was not written: {exc}") from None
    finally:
        store.close()
    elapsed = time.perf_counter() - started
    print(f"generated {_describe(counts)} (scale {args.scale}, seed {args.seed}) in {elapsed:.1f} s")
    return 0


class _Progress:
    """`import_bundle`'s progress on stderr: one updating line on a terminal; otherwise a line when a
    label or type is done, or at most every few seconds, so logs stay short."""

    EVERY_SECONDS = 5.0

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = self.last = time.perf_counter()
        print("validating and writing…", file=stream, flush=True)

    def __call__(self, kind: str, done: int, total: int) -> None:
        now = time.perf_counter()
        line = f"writing: {kind} {done:,}/{total:,} ({now - self.started:.1f} s)"
        if self.tty:
            print(f"\r{line}\x1b[K", end="", file=self.stream, flush=True)
        elif done == total or now - self.last >= self.EVERY_SECONDS:
            print(line, file=self.stream, flush=True)
            self.last = now

    def finish(self) -> None:
        if self.tty:
            print(file=self.stream)
        print(f"written in {time.perf_counter() - self.started:.1f} s", file=self.stream, flush=True)


def _schema(settings: Settings, args) -> int:
    from .schema_files import write_schema_files, write_statements

    written = write_schema_files(Path(args.dir))
    if args.statements:
        written.append(write_statements(Path(args.statements)))
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
