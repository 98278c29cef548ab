// Writes neo4j5-functions.json: the Neo4j 5 built-in functions and procedures that lint.mjs
// declares to the linter. Unknown names are errors, so this list decides what "Neo4j 5 has".
//
//   node gen-catalogue.mjs           regenerate neo4j5-functions.json
//   node gen-catalogue.mjs --check   exit 1 if the committed file differs from a regeneration
//
// Source: the pinned @neo4j-cypher/language-support ships, as `testData.mockSchema`, the output of
// SHOW FUNCTIONS / SHOW PROCEDURES from a real Neo4j server, split by Cypher version. We take its
// 'CYPHER 5' registry, keep only built-ins (functions with isBuiltIn; procedures in the db., dbms.,
// tx. and cdc. namespaces, so no APOC and no GDS), and remove the names below.
//
// That server is a Neo4j 2025.x, whose Cypher 5 has gained functions that Neo4j 5.x servers lack
// (GQL-style aliases such as lower()/upper(), btrim(), ...). The names removed below are exactly
// those missing from the older catalogue shipped by @neo4j-cypher/language-support@2.0.0-next.4
// (src/tests/testData.ts, a dump from a Neo4j 5.x server, about 5.13-5.16: it has char_length(),
// introduced in 5.13, and lacks normalize(), introduced in 5.17). So the catalogue is the set of
// built-ins that both a Neo4j 5.x and the current Cypher 5 have: a query that passes runs on
// either. To accept one of these (e.g. once the project requires Neo4j 5.26), delete it here
// and regenerate.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { testData } from '@neo4j-cypher/language-support';

// Why each name is out. "Not on the 5.x server" = absent from the 2.0.0-next.4 dump.
const NOT_5X = 'not on the Neo4j 5.x server';
const LATER_FUNCTIONS = {
  lower: `${NOT_5X}: later GQL alias of toLower(), use toLower()`,
  upper: `${NOT_5X}: later GQL alias of toUpper(), use toUpper()`,
  btrim: `${NOT_5X}: later addition, use trim()`,
  normalize: 'introduced in Neo4j 5.17 (Cypher manual)',
  'vector.similarity.cosine': 'introduced in Neo4j 5.18 (Cypher manual)',
  'vector.similarity.euclidean': 'introduced in Neo4j 5.18 (Cypher manual)',
  'graph.byName': `${NOT_5X} (composite databases, USE clause only)`,
  'graph.byElementId': `${NOT_5X} (composite databases, USE clause only)`,
};
const LATER_PROCEDURES = Object.fromEntries(
  [
    'db.cdc.current', // the 5.x server has cdc.current, cdc.earliest, cdc.query instead
    'db.cdc.earliest',
    'db.cdc.query',
    'db.create.setRelationshipVectorProperty',
    'db.index.vector.queryRelationships',
    'dbms.cluster.deallocateDatabaseFromServer',
    'dbms.cluster.deallocateDatabaseFromServers',
    'dbms.cluster.deallocateNumberOfDatabases',
    'dbms.cluster.moveToNextDiscoveryVersion',
    'dbms.cluster.reallocateDatabase',
    'dbms.cluster.reallocateNumberOfDatabases',
    'dbms.cluster.recreateDatabase',
    'dbms.cluster.showParallelDiscoveryState',
    'dbms.cluster.statusCheck',
    'dbms.cluster.switchDiscoveryServiceVersion',
  ].map((name) => [name, NOT_5X]),
);
const BUILT_IN_PROCEDURE = /^(db|dbms|tx|cdc)\./;

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const pkg = JSON.parse(
  readFileSync(here('node_modules/@neo4j-cypher/language-support/package.json'), 'utf8'),
);

function build() {
  const fns = testData.mockSchema.functions['CYPHER 5'];
  const procs = testData.mockSchema.procedures['CYPHER 5'];
  for (const name of Object.keys(LATER_FUNCTIONS)) {
    if (!Object.hasOwn(fns, name)) throw new Error(`excluded function ${name} not in source`);
  }
  for (const name of Object.keys(LATER_PROCEDURES)) {
    if (!Object.hasOwn(procs, name)) throw new Error(`excluded procedure ${name} not in source`);
  }
  const functions = {};
  for (const name of Object.keys(fns).sort()) {
    const f = fns[name];
    if (!f.isBuiltIn || Object.hasOwn(LATER_FUNCTIONS, name)) continue;
    functions[name] = {
      name: f.name,
      category: f.category,
      description: f.description,
      signature: f.signature,
      isBuiltIn: true,
      argumentDescription: f.argumentDescription,
      returnDescription: f.returnDescription,
      aggregating: f.aggregating,
      isDeprecated: f.isDeprecated,
      ...(f.deprecatedBy ? { deprecatedBy: f.deprecatedBy } : {}),
    };
  }
  const procedures = {};
  for (const name of Object.keys(procs).sort()) {
    const p = procs[name];
    if (!BUILT_IN_PROCEDURE.test(name) || Object.hasOwn(LATER_PROCEDURES, name)) continue;
    procedures[name] = {
      name: p.name,
      description: p.description,
      mode: p.mode,
      worksOnSystem: p.worksOnSystem,
      signature: p.signature,
      argumentDescription: p.argumentDescription,
      returnDescription: p.returnDescription,
      admin: p.admin,
      option: p.option,
      ...(p.deprecatedBy ? { deprecatedBy: p.deprecatedBy } : {}),
    };
  }
  return {
    _comment: [
      'Neo4j 5 built-in functions and procedures, written by gen-catalogue.mjs; do not edit.',
      `Source: ${pkg.name}@${pkg.version} testData.mockSchema 'CYPHER 5'`,
      '(SHOW FUNCTIONS / SHOW PROCEDURES of a real server),',
      'built-ins only (no APOC, no GDS), minus the names below that a Neo4j 5.x server lacks',
      '(absent from the Neo4j 5.x dump in @neo4j-cypher/language-support@2.0.0-next.4).',
    ],
    excluded: { functions: LATER_FUNCTIONS, procedures: LATER_PROCEDURES },
    functions,
    procedures,
  };
}

const out = JSON.stringify(build(), null, 1) + '\n';
const target = here('neo4j5-functions.json');
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing file: differs
  }
  if (current !== out) {
    console.error('neo4j5-functions.json is stale: run `node gen-catalogue.mjs` and commit it');
    process.exit(1);
  }
  console.log('neo4j5-functions.json is up to date');
} else {
  writeFileSync(target, out);
  const c = JSON.parse(out);
  console.log(
    `wrote neo4j5-functions.json: ${Object.keys(c.functions).length} functions, ` +
      `${Object.keys(c.procedures).length} procedures`,
  );
}
