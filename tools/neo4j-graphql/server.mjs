// A peer for rolemap's Neo4j benchmark: the Neo4j GraphQL Library (@neo4j/graphql) generating a
// GraphQL API over the same database rolemap writes, served by Apollo Server on loopback.
//
//   node server.mjs --port 7811 --neo4j-uri bolt://127.0.0.1:7801 [--host 127.0.0.1]
//
// The type definitions mirror rolemap/graph/schema.py: one @node type per label with its
// properties, and every relationship type, navigable both ways, as @relationship list fields
// (the library allows no single-valued relationships). Read-only use: benchmarks/neo4j_peer.py
// sends the same queries here and to `rolemap serve`. Prints "peer: ready on http://HOST:PORT/graphql"
// once it listens; SIGTERM or SIGINT stops it.

import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "4000" },
    host: { type: "string", default: "127.0.0.1" },
    "neo4j-uri": { type: "string", default: "bolt://127.0.0.1:7687" },
    "neo4j-user": { type: "string", default: "neo4j" },
    "neo4j-password": { type: "string", default: "" },
    database: { type: "string", default: "neo4j" },
  },
});

// Fields shared by every label (rolemap's COMMON), and the language variants of localised texts.
const common = `
  id: ID!
  createdAt: DateTime
  updatedAt: DateTime
  source: String`;
const localized = (...names) =>
  names.map((n) => ["fi", "sv", "en"].map((l) => `  ${n}_${l}: String`).join("\n")).join("\n");

export const typeDefs = /* GraphQL */ `
  type Uses @relationshipProperties {
    since: Date
    until: Date
  }

  type Stance @relationshipProperties {
    ring: String
    since: DateTime
    rationale: String
  }

  type City @node {
    ${common}
    name: String!
    description: String
    kind: String!
    country: String
    code: String
    population: Int
    website: String
  ${localized("name", "description")}
    partOf: [City!]! @relationship(type: "PART_OF", direction: OUT)
    members: [City!]! @relationship(type: "PART_OF", direction: IN)
    goals: [Goal!]! @relationship(type: "HAS_GOAL", direction: OUT)
    needs: [Need!]! @relationship(type: "HAS_NEED", direction: OUT)
    pilots: [Pilot!]! @relationship(type: "RUNS", direction: OUT)
    uses: [Service!]! @relationship(type: "USES", direction: OUT, properties: "Uses")
    operates: [Service!]! @relationship(type: "OPERATES", direction: OUT)
    stances: [Capability!]! @relationship(type: "STANCE", direction: OUT, properties: "Stance")
  }

  type Goal @node {
    ${common}
    name: String!
    description: String
    targetYear: Int
  ${localized("name", "description")}
    city: [City!]! @relationship(type: "HAS_GOAL", direction: IN)
    needs: [Need!]! @relationship(type: "SUPPORTS", direction: IN)
  }

  type Theme @node {
    ${common}
    name: String!
    description: String
  ${localized("name", "description")}
    needs: [Need!]! @relationship(type: "IN_THEME", direction: IN)
    services: [Service!]! @relationship(type: "ADDRESSES", direction: IN)
  }

  type Capability @node {
    ${common}
    name: String!
    description: String
  ${localized("name", "description")}
    broader: [Capability!]! @relationship(type: "BROADER", direction: OUT)
    narrower: [Capability!]! @relationship(type: "BROADER", direction: IN)
    services: [Service!]! @relationship(type: "HAS_CAPABILITY", direction: IN)
    needs: [Need!]! @relationship(type: "REQUIRES", direction: IN)
    stances: [City!]! @relationship(type: "STANCE", direction: IN, properties: "Stance")
  }

  type Need @node {
    ${common}
    title: String!
    description: String
    status: String!
  ${localized("title", "description")}
    city: [City!]! @relationship(type: "HAS_NEED", direction: IN)
    themes: [Theme!]! @relationship(type: "IN_THEME", direction: OUT)
    capabilities: [Capability!]! @relationship(type: "REQUIRES", direction: OUT)
    goals: [Goal!]! @relationship(type: "SUPPORTS", direction: OUT)
    services: [Service!]! @relationship(type: "ADDRESSES", direction: IN)
    pilots: [Pilot!]! @relationship(type: "FOR_NEED", direction: IN)
  }

  type Vendor @node {
    ${common}
    name: String!
    description: String
    businessId: String
    country: String
    website: String
    illustrative: Boolean
  ${localized("name", "description")}
    services: [Service!]! @relationship(type: "OFFERS", direction: OUT)
    pilots: [Pilot!]! @relationship(type: "PARTNER", direction: IN)
  }

  type Service @node {
    ${common}
    name: String!
    description: String
    externalId: String
    lifecycle: String!
    website: String
    retiredAt: DateTime
    retiredReason: String
  ${localized("name", "description")}
    vendor: [Vendor!]! @relationship(type: "OFFERS", direction: IN)
    operator: [City!]! @relationship(type: "OPERATES", direction: IN)
    capabilities: [Capability!]! @relationship(type: "HAS_CAPABILITY", direction: OUT)
    needs: [Need!]! @relationship(type: "ADDRESSES", direction: OUT)
    themes: [Theme!]! @relationship(type: "ADDRESSES", direction: OUT)
    usedBy: [City!]! @relationship(type: "USES", direction: IN, properties: "Uses")
    pilots: [Pilot!]! @relationship(type: "TRIALS", direction: IN)
  }

  type Pilot @node {
    ${common}
    title: String!
    description: String
    status: String!
    startDate: Date
    endDate: Date
    budgetEur: Float
    startedAt: DateTime
    endedAt: DateTime
    cancelledAt: DateTime
    cancelReason: String
    successCriteria: String
  ${localized("title", "description")}
    city: [City!]! @relationship(type: "RUNS", direction: IN)
    needs: [Need!]! @relationship(type: "FOR_NEED", direction: OUT)
    services: [Service!]! @relationship(type: "TRIALS", direction: OUT)
    vendors: [Vendor!]! @relationship(type: "PARTNER", direction: OUT)
    decisions: [Decision!]! @relationship(type: "DECIDED", direction: OUT)
  }

  type Decision @node {
    ${common}
    outcome: String!
    rationale: String
    lessons: [String!]
    nextSteps: [String!]
    decidedBy: String
    decidedAt: DateTime
    results: String
    procurementRef: String
    pilot: [Pilot!]! @relationship(type: "DECIDED", direction: IN)
    supersedes: [Decision!]! @relationship(type: "SUPERSEDES", direction: OUT)
    supersededBy: [Decision!]! @relationship(type: "SUPERSEDES", direction: IN)
  }
`;

const auth = args["neo4j-password"] ? neo4j.auth.basic(args["neo4j-user"], args["neo4j-password"]) : undefined;
const driver = neo4j.driver(args["neo4j-uri"], auth);
await driver.verifyConnectivity({ database: args.database });

const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
const server = new ApolloServer({ schema: await neoSchema.getSchema() });
const { url } = await startStandaloneServer(server, {
  listen: { host: args.host, port: Number(args.port) },
  context: async () => ({ sessionConfig: { database: args.database } }),
});
console.log(`peer: ready on ${url.replace(/\/$/, "")}/graphql`);

// A benchmark peer needs no graceful drain: close the driver's connections and exit.
let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`peer: ${signal}, stopping`);
  setTimeout(() => process.exit(0), 2000).unref();
  driver.close().finally(() => process.exit(0));
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
