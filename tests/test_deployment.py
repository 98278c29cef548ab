"""docker-compose.yml and the Dockerfile: Neo4j 5 with auth from the environment, a healthcheck
and a volume; rolemap built from the Dockerfile and started on Neo4j once Neo4j is healthy.
(No Docker engine runs in CI, so the structure is what can be checked.)"""

from __future__ import annotations

import re

import yaml

from .conftest import REPO

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DOCKERFILE = (REPO / "Dockerfile").read_text()


def test_neo4j_service():
    neo4j = COMPOSE["services"]["neo4j"]
    # The same LTS line as the local server the tests run on (tools/neo4j/pom.xml).
    pinned = re.search(
        r"<neo4j.version>(\d+\.\d+)\.\d+</neo4j.version>", (REPO / "tools/neo4j/pom.xml").read_text()
    )
    assert pinned and pinned.group(1) == "5.26"
    assert neo4j["image"] == f"neo4j:{pinned.group(1)}"
    auth = neo4j["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${NEO4J_PASSWORD"), "the password must come from the environment"
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    volume = neo4j["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in COMPOSE["volumes"]


def test_rolemap_service_runs_on_neo4j_once_it_is_healthy():
    service = COMPOSE["services"]["rolemap"]
    assert service["build"]["dockerfile"] == "Dockerfile"
    assert (REPO / service["build"]["context"] / "Dockerfile").is_file()
    env = service["environment"]
    assert env["ROLEMAP_STORE"] == "neo4j"
    assert env["ROLEMAP_NEO4J_URI"] == "bolt://neo4j:7687"
    assert env["ROLEMAP_NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD")
    assert env["ROLEMAP_HOST"] == "0.0.0.0"
    assert service["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert any(p.endswith(":8000") for p in service["ports"])


def test_no_password_is_written_down():
    text = (REPO / "docker-compose.yml").read_text()
    assert not re.search(r"NEO4J_AUTH:\s*neo4j/[^$]", text)


def test_dockerfile_installs_the_package_with_its_sample_and_serves():
    assert "COPY seed ./seed" in DOCKERFILE
    assert "pip install ." in DOCKERFILE
    assert 'CMD ["rolemap", "serve"]' in DOCKERFILE
    assert "/readyz" in DOCKERFILE
    assert re.search(r"^USER (?!root)", DOCKERFILE, re.M), "the service must not run as root"
