// Lints Cypher statements with Neo4j's own linter (@neo4j-cypher/language-support), declaring the
// Neo4j 5 built-in functions and procedures (neo4j5-functions.json) so that any other function or
// procedure (LadybugDB-only ones, APOC, later Cypher 25 additions) is an error.
//
//   node lint.mjs STATEMENTS.json   STATEMENTS.json: [{"name": "...", "cypher": "..."}, ...]
//   node lint.mjs --self-test
//
// Exit status: 0 clean or warnings only, 1 any error, 2 bad usage or unreadable input.
import { readFileSync } from 'node:fs';
import {
  isNotParamError,
  lintCypherQuery,
  parseStatementsStrs,
} from '@neo4j-cypher/language-support';

const catalogue = JSON.parse(readFileSync(new URL('./neo4j5-functions.json', import.meta.url)));

// Registries without a prototype: the linter looks names up with `registry[name]`, and on a plain
// object `constructor(x)` or `toString` would be found on Object.prototype.
const registry = (entries) => Object.assign(Object.create(null), entries);

// Function and procedure lookups are made per Cypher version: a statement without a version
// prefix resolves to defaultLanguage. Only 'CYPHER 5' is declared; CYPHER 25 is refused below.
const DB_SCHEMA = {
  defaultLanguage: 'CYPHER 5',
  functions: { 'CYPHER 5': registry(catalogue.functions) },
  procedures: { 'CYPHER 5': registry(catalogue.procedures) },
  // parameters: not declared. Every $param would then be an error ("Parameter $x is not
  // defined."); values only exist at run time, so those diagnostics are dropped with the
  // library's own isNotParamError().
};

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

// Strips // and /* */ comments, leaving string literals and `quoted names` alone.
function stripComments(text) {
  let out = '';
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c !== '`' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (text.startsWith('//', i)) {
      const j = text.indexOf('\n', i);
      i = j < 0 ? text.length : j;
    } else if (text.startsWith('/*', i)) {
      const j = text.indexOf('*/', i + 2);
      out += ' ';
      i = j < 0 ? text.length : j + 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

function offsetToPosition(text, offset) {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before.at(-1).length };
}

function ownDiagnostic(severity, message, text, offset = 0) {
  const start = offsetToPosition(text, offset);
  return { severity, message, range: { start, end: start } };
}

// Diagnostics for one statement. Severity: 1 error, 2 warning (as in the LSP).
function lintStatement(cypher) {
  if (typeof cypher !== 'string') {
    return [ownDiagnostic(1, '"cypher" is missing or not a string', '')];
  }
  const code = stripComments(cypher);
  if (code.replace(/;/g, '').trim() === '') {
    return [ownDiagnostic(1, 'Statement is empty', cypher)];
  }
  const own = [];
  const statements = parseStatementsStrs(cypher).filter(
    (s) => stripComments(s).replace(/;/g, '').trim() !== '',
  );
  if (statements.length > 1) {
    own.push(
      ownDiagnostic(
        1,
        `Entry holds ${statements.length} statements; Neo4j runs exactly one statement per query`,
        cypher,
      ),
    );
  }
  const version = /^\s*CYPHER\s+(\d+(?:\.\d+)?)(?![\w.])/i.exec(code);
  if (version && version[1] === '25') {
    const message = 'CYPHER 25 is not available on Neo4j 5; write Cypher 5 without a prefix';
    own.push(ownDiagnostic(1, message, cypher, Math.max(0, cypher.search(/CYPHER\s+25/i))));
  }
  const { diagnostics } = lintCypherQuery(cypher, DB_SCHEMA, { consoleCommandsEnabled: false });
  return own.concat(diagnostics.filter(isNotParamError));
}

// Lints a parsed STATEMENTS.json; returns {lines, statements, errors, warnings}.
function lintEntries(entries) {
  const lines = [];
  let errors = 0;
  let warnings = 0;
  if (!Array.isArray(entries)) {
    const line = 'cypher-lint: error: input must be a JSON list of {"name", "cypher"} objects';
    return { lines: [line], statements: 0, errors: 1, warnings: 0 };
  }
  if (entries.length === 0) {
    lines.push('cypher-lint: error: no statements to lint (is the statement export broken?)');
    errors += 1;
  }
  const seen = new Set();
  entries.forEach((entry, index) => {
    const name =
      entry && typeof entry.name === 'string' && entry.name ? entry.name : `#${index}`;
    const cypher = entry && typeof entry === 'object' ? entry.cypher : undefined;
    const diagnostics = lintStatement(cypher);
    if (seen.has(name)) diagnostics.push(ownDiagnostic(2, `Duplicate statement name ${name}`, ''));
    seen.add(name);
    const source = typeof cypher === 'string' ? cypher.split('\n') : [];
    for (const d of diagnostics) {
      const severity = SEVERITY[d.severity] ?? 'error';
      if (d.severity === 1 || d.severity === undefined) errors += 1;
      else warnings += 1;
      const { line, character } = d.range.start;
      lines.push(`${name}:${line + 1}:${character + 1}: ${severity}: ${d.message}`);
      if (source[line] !== undefined && source[line].trim() !== '') {
        const end =
          d.range.end.line === line ? d.range.end.character : source[line].length;
        lines.push(`    ${source[line]}`);
        lines.push(`    ${' '.repeat(character)}${'^'.repeat(Math.max(1, end - character))}`);
      }
    }
  });
  return { lines, statements: entries.length, errors, warnings };
}

function summary({ statements, errors, warnings }) {
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const counts = [plural(statements, 'statement'), plural(errors, 'error')];
  return `cypher-lint: ${counts.join(', ')}, ${plural(warnings, 'warning')}`;
}

// Statements that must lint without errors (warnings allowed).
const GOOD = [
  'MATCH (n:City {id: $id}) RETURN n',
  'UNWIND $ids AS id MATCH (n:City {id: id}) RETURN id, n',
  'CREATE CONSTRAINT city_id_unique IF NOT EXISTS FOR (n:City) REQUIRE n.id IS UNIQUE',
  'CREATE INDEX city_name_index IF NOT EXISTS FOR (n:City) ON (n.name)',
  'MATCH (n:City) WHERE toLower(n.name) CONTAINS toLower($s) RETURN n ORDER BY n.id LIMIT $first',
  'MATCH (p:Pilot)-[:DECIDED]->(d:Decision) ' +
    'WHERE NOT EXISTS { MATCH (d)<-[:SUPERSEDES]-(:Decision) } RETURN d',
  'UNWIND $rows AS row MERGE (n:City {id: row.id}) ' +
    'ON CREATE SET n.createdAt = datetime() SET n.name = row.name',
  'MATCH (n:City) RETURN n.id AS id, coalesce(n.name, "") AS name, count(*) AS c',
  'MATCH (n:City) WITH n, COUNT { (n)--() } AS d RETURN n.id, stDev(d), toString(date())',
  'CALL db.labels() YIELD label RETURN label',
  '// a comment first\nMATCH (n:City {id: $id})\nDETACH DELETE n;',
];
// Statements that must fail, each with the message its error must contain (the right reason).
const BAD = [
  ['MATCH (n:City RETURN n', "Invalid input 'RETURN'"],
  ["RETURN lower('a')", 'Function lower is not present'],
  ["RETURN upper('a')", 'Function upper is not present'],
  ['MATCH (n) RETURN label(n)', 'Function label is not present'],
  ["RETURN apoc.text.join(['a'], ',')", 'Function apoc.text.join is not present'],
  ["CALL apoc.help('x')", 'Procedure apoc.help is not present'],
  ['RETURN list_contains([1], 1)', 'Function list_contains is not present'],
  ['RETURN constructor(1)', 'Function constructor is not present'],
  ['CYPHER 25 MATCH (n) RETURN n', 'CYPHER 25 is not available'],
  ['MATCH (n) RETURN n; MATCH (m) RETURN m', 'Neo4j runs exactly one statement'],
  ['', 'Statement is empty'],
  ['  // just a comment\n', 'Statement is empty'],
];

function selfTest() {
  let passed = 0;
  let failed = 0;
  const check = (ok, what, detail) => {
    if (ok) passed += 1;
    else failed += 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || !detail ? '' : `\n       ${detail}`}`);
  };
  for (const cypher of GOOD) {
    const errors = lintStatement(cypher).filter((d) => d.severity === 1);
    const detail = errors.map((d) => d.message).join(' | ');
    check(errors.length === 0, `good: ${JSON.stringify(cypher)}`, detail);
  }
  for (const [cypher, expected] of BAD) {
    const errors = lintStatement(cypher).filter((d) => d.severity === 1);
    check(
      errors.some((d) => d.message.includes(expected)),
      `bad:  ${JSON.stringify(cypher)} -> ${expected}`,
      errors.length ? `got: ${errors.map((d) => d.message).join(' | ')}` : 'got no error',
    );
  }
  // The file path end to end: an error makes the run fail, a warning alone does not.
  const withError = lintEntries([
    { name: 'ok', cypher: GOOD[0] },
    { name: 'bad', cypher: "RETURN lower('a')" },
  ]);
  check(
    withError.errors === 1 && withError.lines[0].startsWith('bad:1:8: error: Function lower'),
    'file: error counted and located',
    withError.lines[0],
  );
  const withWarning = lintEntries([{ name: 'deprecated', cypher: 'MATCH (n) RETURN id(n)' }]);
  check(
    withWarning.errors === 0 && withWarning.warnings > 0,
    'file: deprecated id() is a warning, not an error',
    summary(withWarning),
  );
  check(lintEntries([]).errors === 1, 'file: an empty list is an error');
  check(lintEntries([{ name: 'x' }]).errors === 1, 'file: an entry without "cypher" is an error');
  console.log(`self-test: ${passed} passed, ${failed} failed`);
  return failed === 0;
}

function main(argv) {
  if (argv.length === 1 && argv[0] === '--self-test') return selfTest() ? 0 : 1;
  if (argv.length !== 1 || argv[0].startsWith('-')) {
    console.error('usage: node lint.mjs STATEMENTS.json | node lint.mjs --self-test');
    return 2;
  }
  let entries;
  try {
    entries = JSON.parse(readFileSync(argv[0], 'utf8'));
  } catch (err) {
    console.error(`cypher-lint: cannot read ${argv[0]}: ${err.message}`);
    return 2;
  }
  const result = lintEntries(entries);
  for (const line of result.lines) console.log(line);
  console.log(summary(result));
  return result.errors > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
