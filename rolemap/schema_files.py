"""The generated, checked-in schema files: the GraphQL SDL and the DDL of both stores.

Tests compare these with what the code generates, so a stale file fails the suite.
"""

from __future__ import annotations

import json
from pathlib import Path

from .graph.schema import ddl_file, ladybug_ddl, neo4j_ddl
from .graph.statements import STATEMENTS


def generated() -> dict[str, str]:
    from .api.schema import schema

    return {
        "rolemap.graphql": str(schema).rstrip() + "\n",
        "ladybug.cypher": ddl_file(
            ladybug_ddl(), "LadybugDB DDL for rolemap (applied idempotently at start)."
        ),
        "neo4j.cypher": ddl_file(
            neo4j_ddl(), "Neo4j 5 constraints and indexes for rolemap (applied at start)."
        ),
    }


def write_schema_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in generated().items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def neo4j_statements() -> list[dict[str, str]]:
    """Every statement the Neo4j backend can send: its DDL and every named statement."""
    ddl = [{"name": f"ddl.{i}", "cypher": text} for i, text in enumerate(neo4j_ddl())]
    named = [{"name": s.name, "cypher": s.neo4j} for s in STATEMENTS.values()]
    return ddl + named


def write_statements(path: Path) -> Path:
    path.write_text(json.dumps(neo4j_statements(), indent=1) + "\n", encoding="utf-8")
    return path
