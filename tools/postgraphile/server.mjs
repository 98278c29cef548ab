// A peer for rolemap's benchmark: PostGraphile 5 (its recommended "amber" preset) serving the
// PostgreSQL database that benchmarks/peer.py loads with the same registry rolemap serves.
//
//   node server.mjs --port 7812 --connection postgres://postgres@/rolemap?host=/tmp/pg [--host 127.0.0.1]
//
// Read-only use: benchmarks/peer.py sends the same queries here and to `rolemap serve`. Prints
// "postgraphile: ready on http://HOST:PORT/graphql" once it listens; SIGTERM or SIGINT stops it.
// Run with NODE_ENV=production (the benchmark does), as PostGraphile recommends for serving.

import { createServer } from "node:http";
import { parseArgs } from "node:util";

// PostGraphile 5 asks for Node.js 22 and calls Promise.withResolvers (Node.js 22+); this machine
// has Node.js 20. The polyfill must be in place before PostGraphile's modules load, hence the
// dynamic imports below.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "5678" },
    host: { type: "string", default: "127.0.0.1" },
    connection: { type: "string" },
    schema: { type: "string", default: "public" },
    "pool-size": { type: "string", default: "10" },
  },
});
if (!args.connection) {
  console.error("postgraphile: --connection postgres://… is required");
  process.exit(2);
}

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: args.connection,
      schemas: [args.schema],
      poolConfig: { max: Number(args["pool-size"]) },
    }),
  ],
  grafserv: {
    host: args.host,
    port: Number(args.port),
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    websockets: false,
  },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(`postgraphile: ${error.stack || error}`);
  process.exit(1);
});
await serv.addTo(server);
// Build the schema before saying "ready", so the first measured request does not pay for it.
await pgl.getSchema();
server.listen(Number(args.port), args.host, () => {
  console.log(`postgraphile: ready on http://${args.host}:${args.port}/graphql`);
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections?.();
    pgl
      .release()
      .catch((error) => console.error(`postgraphile: release: ${error}`))
      .finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
