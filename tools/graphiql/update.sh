#!/usr/bin/env bash
# Refresh the vendored, offline GraphiQL assets that rolemap serves at /static.
#
# The GraphiQL page (rolemap/api/static/graphiql.html) must work with no
# internet at run time, so GraphiQL and React are vendored as plain <script>
# UMD bundles instead of being loaded from a CDN. This script re-creates the
# vendored files from the npm registry, with the versions pinned below:
#
#   graphiql.min.js              graphiql@GRAPHIQL_VERSION     graphiql.min.js (UMD, global `GraphiQL`)
#   graphiql.min.css             graphiql@GRAPHIQL_VERSION     graphiql.min.css (fonts inlined as data: URLs)
#   react.production.min.js      react@REACT_VERSION           umd/react.production.min.js (global `React`)
#   react-dom.production.min.js  react-dom@REACT_DOM_VERSION   umd/react-dom.production.min.js (global `ReactDOM`)
#   LICENSES.md                  generated: versions, checksums, bundled packages, license texts
#
# graphiql.html itself is hand-written and is not touched by this script.
#
# Why these versions: GraphiQL 3.x is the last line that publishes a
# self-contained UMD browser bundle; 4.x/5.x are ESM-only and pull in Monaco
# workers, which are hard to serve offline. graphiql 3.9.0 is the newest 3.x
# and its peerDependencies accept react/react-dom ^16.8 || ^17 || ^18.
# React 19 no longer ships UMD builds, so React stays on the newest 18.x.
# Source maps are not copied (the graphiql map alone is ~4 MB); the trailing
# sourceMappingURL comment is stripped so browsers do not request a missing map.
#
# Usage:   tools/graphiql/update.sh [DEST_DIR]
#          (needs node + npm and access to the npm registry; DEST_DIR defaults
#           to rolemap/api/static next to this script's repository root)
# Bumping: change the versions below, run the script, then open /graphql in a
#          browser (or headless Chromium) and check that the editor renders
#          and that no request leaves the machine.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1
REACT_DOM_VERSION=18.3.1

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="${1:-$repo/rolemap/api/static}"
mkdir -p "$dest"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "Fetching graphiql@$GRAPHIQL_VERSION react@$REACT_VERSION react-dom@$REACT_DOM_VERSION ..."
(
  cd "$tmp"
  npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" \
    "react-dom@$REACT_DOM_VERSION" >/dev/null
  for pkg in graphiql react react-dom; do
    mkdir "$pkg"
    tar -xzf "$pkg"-[0-9]*.tgz -C "$pkg" --strip-components=1
  done
)
gq="$tmp/graphiql"

# The UMD bundle must exist and must be the browser-global build.
if [[ ! -f "$gq/graphiql.min.js" || ! -f "$gq/graphiql.min.css" ]]; then
  echo "graphiql@$GRAPHIQL_VERSION ships no graphiql.min.js/.css (UMD build); pick a 3.x version" >&2
  exit 1
fi
grep -q '\.GraphiQL=' "$gq/graphiql.min.js" || {
  echo "graphiql.min.js does not define a global GraphiQL" >&2
  exit 1
}

# React must satisfy GraphiQL's peer dependency range (checked by major version).
node -e '
  const peer = require(process.argv[1]).peerDependencies;
  const ok = (range, v) => range.split("||").some(r => {
    const m = r.trim().match(/^\^?(\d+)/); return m && m[1] === v.split(".")[0];
  });
  for (const [name, v] of [["react", process.argv[2]], ["react-dom", process.argv[3]]]) {
    if (!ok(peer[name], v)) { console.error(name + "@" + v + " does not satisfy " + peer[name]); process.exit(1); }
  }
  console.log("peerDependencies ok: react " + peer.react + ", react-dom " + peer["react-dom"]);
' "$gq/package.json" "$REACT_VERSION" "$REACT_DOM_VERSION"

strip_map() { sed -e '/^\/\/# sourceMappingURL=/d' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$1"; }

strip_map "$gq/graphiql.min.js" >"$dest/graphiql.min.js"
# Drop any @import of remote stylesheets/fonts (3.9.0 has none; fonts are data: URLs).
strip_map "$gq/graphiql.min.css" | sed -E '/@import[^;]*url\(["'\'']?https?:/d' >"$dest/graphiql.min.css"
strip_map "$tmp/react/umd/react.production.min.js" >"$dest/react.production.min.js"
strip_map "$tmp/react-dom/umd/react-dom.production.min.js" >"$dest/react-dom.production.min.js"

# Nothing may point at the network at start-up.
if grep -Eq 'url\(["'\'']?(https?:)?//' "$dest/graphiql.min.css"; then
  echo "graphiql.min.css still references a remote url(); fix before shipping" >&2
  exit 1
fi

# ---- LICENSES.md -------------------------------------------------------------
# The packages bundled inside graphiql.min.js are read from its source map, and
# their licenses from an install of graphiql (deps resolved today, so the exact
# bundled versions may differ; licenses are what matter here).
echo "Resolving licenses of packages bundled in graphiql.min.js ..."
mkdir "$tmp/deps"
(
  cd "$tmp/deps"
  npm init -y >/dev/null
  npm install --silent --ignore-scripts --no-audit --no-fund \
    "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_DOM_VERSION" >/dev/null
)

node - "$gq/graphiql.min.js.map" "$tmp/deps/node_modules" >"$tmp/bundled.json" <<'EOF'
const fs = require("fs"), path = require("path"), cp = require("child_process");
const [mapFile, nm] = process.argv.slice(2);
const map = JSON.parse(fs.readFileSync(mapFile, "utf8"));
const monorepo = { "codemirror-graphql": "codemirror-graphql", "graphiql-react": "@graphiql/react",
  "graphiql-toolkit": "@graphiql/toolkit", "graphql-language-service": "graphql-language-service" };
const names = new Set();
for (const src of map.sources) {
  const i = src.lastIndexOf("node_modules/");
  if (i < 0) {
    const top = src.replace(/^(\.\.\/)+/, "").split("/")[0];
    if (monorepo[top]) names.add(monorepo[top]);
    continue;
  }
  const parts = src.slice(i + 13).split("/");
  names.add(parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0]);
}
const author = j => typeof j.author === "object" ? [j.author.name, j.author.email && "<" + j.author.email + ">"].filter(Boolean).join(" ") : (j.author || "");
const found = {};
(function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir)) {
    if (e.startsWith(".")) continue;
    const p = path.join(dir, e);
    if (e.startsWith("@")) { walk(p); continue; }
    const pj = path.join(p, "package.json");
    if (!fs.existsSync(pj)) continue;
    const j = JSON.parse(fs.readFileSync(pj, "utf8"));
    if (!found[j.name]) {
      const lic = typeof j.license === "object" ? j.license.type : j.license;
      const lf = fs.readdirSync(p).find(f => /^(licen[cs]e|copying)/i.test(f));
      found[j.name] = { license: lic, licenseFile: lf ? path.join(p, lf) : null, author: author(j) };
    }
    walk(path.join(p, "node_modules"));
  }
})(nm);
const out = [];
for (const name of [...names].sort()) {
  let info = found[name];
  if (!info) {  // build-time only dependency (not installed): fetch its tarball for the license
    info = { license: "UNKNOWN", licenseFile: null };
    try {
      const dir = fs.mkdtempSync(path.join(nm, "..", "pack-"));
      const tgz = cp.execFileSync("npm", ["pack", "--silent", name], { cwd: dir, encoding: "utf8" }).trim().split("\n").pop();
      cp.execFileSync("tar", ["-xzf", tgz, "--strip-components=1"], { cwd: dir });
      const j = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      const lf = fs.readdirSync(dir).find(f => /^(licen[cs]e|copying)/i.test(f));
      info = { license: typeof j.license === "object" ? j.license.type : j.license,
               licenseFile: lf ? path.join(dir, lf) : null, author: author(j) };
    } catch {}
  }
  out.push({ name, license: info.license, licenseFile: info.licenseFile, author: info.author });
}
process.stdout.write(JSON.stringify(out));
EOF

node - "$tmp/bundled.json" <<'EOF' >&2 || true
const list = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const known = new Set(["MIT", "BSD-2-Clause", "0BSD"]);
for (const p of list) if (!known.has(p.license))
  console.error(`WARNING: bundled package ${p.name} has license ${p.license}: review LICENSES.md`);
EOF

graphql_bundled="$(grep -oE 'major:16,minor:[0-9]+,patch:[0-9]+' "$dest/graphiql.min.js" | head -1 |
  sed -E 's/major:([0-9]+),minor:([0-9]+),patch:([0-9]+)/\1.\2.\3/')"

{
  cat <<EOF
# Third-party licenses: vendored GraphiQL assets

The files below are copied unmodified from the npm registry packages named
(apart from removing the trailing \`sourceMappingURL\` comment), by
\`tools/graphiql/update.sh\`. Source maps are not shipped.

| file | package | path in package | bytes | sha256 |
| --- | --- | --- | ---: | --- |
EOF
  row() { printf '| `%s` | %s | `%s` | %s | `%s` |\n' "$1" "$2" "$3" \
    "$(wc -c <"$dest/$1" | tr -d ' ')" "$(sha256sum "$dest/$1" | cut -d' ' -f1)"; }
  row graphiql.min.js "graphiql@$GRAPHIQL_VERSION (MIT)" graphiql.min.js
  row graphiql.min.css "graphiql@$GRAPHIQL_VERSION (MIT)" graphiql.min.css
  row react.production.min.js "react@$REACT_VERSION (MIT)" umd/react.production.min.js
  row react-dom.production.min.js "react-dom@$REACT_DOM_VERSION (MIT)" umd/react-dom.production.min.js
  cat <<EOF

## Packages bundled inside graphiql.min.js

\`graphiql.min.js\` is GraphiQL's UMD build; besides GraphiQL itself it contains
the following packages (read from the package's source map; graphql is
${graphql_bundled:-16.x}). The license shown is each package's declared license.

| package | license |
| --- | --- |
EOF
  node -e '
    for (const p of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")))
      console.log("| " + p.name + " | " + p.license + " |");
  ' "$tmp/bundled.json"

  printf '\n## License texts\n'
  printf '\n### graphiql@%s (MIT)\n\n```text\n' "$GRAPHIQL_VERSION"; cat "$gq/LICENSE"; printf '```\n'
  printf '\n### react@%s (MIT)\n\n```text\n' "$REACT_VERSION"; cat "$tmp/react/LICENSE"; printf '```\n'
  printf '\n### react-dom@%s (MIT)\n\n```text\n' "$REACT_DOM_VERSION"; cat "$tmp/react-dom/LICENSE"; printf '```\n'
  # Every package bundled in graphiql.min.js gets its license text (their notices must travel
  # with the bundle); entities is BSD-2-Clause and tslib 0BSD, the rest MIT for 3.9.0.
  node -e '
    const fs = require("fs");
    for (const p of JSON.parse(fs.readFileSync(process.argv[1], "utf8"))) {
      if (p.name === "react") continue;  // react/jsx-runtime: text given above
      console.log("\n### " + p.name + " (" + p.license + "), bundled in graphiql.min.js\n");
      console.log("```text");
      console.log(p.licenseFile ? fs.readFileSync(p.licenseFile, "utf8").trimEnd()
        : "The package ships no license file; its package.json declares \"" + p.license + "\""
          + (p.author ? " with author " + p.author : "") + ".\n"
          + (p.license === "MIT" ? "The MIT License terms are those of the graphiql text above." : ""));
      console.log("```");
    }
  ' "$tmp/bundled.json"
} >"$dest/LICENSES.md"

echo "Updated $dest:"
(cd "$dest" && ls -l graphiql.min.js graphiql.min.css react.production.min.js \
  react-dom.production.min.js LICENSES.md)
