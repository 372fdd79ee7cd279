#!/usr/bin/env bash
# Prints a directory that holds `node` (>= 22) and `pnpm`, to put first on PATH.
# When the node on PATH is older, installs a project-local Node 24 from the npm
# registry package `node` into .tools/ — nothing global is changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
NODE_SPEC="${NODE_SPEC:-node@24}"
PNPM_SPEC="${PNPM_SPEC:-pnpm@10.34.8}"
MIN_MAJOR=22

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

need=()
if [ -x "$tools/bin/node" ] && [ "$(major "$tools/bin/node")" -ge "$MIN_MAJOR" ]; then
  :
elif command -v node >/dev/null && [ "$(major node)" -ge "$MIN_MAJOR" ]; then
  mkdir -p "$tools/bin"; ln -sf "$(command -v node)" "$tools/bin/node"
else
  need+=("$NODE_SPEC")
fi
[ -x "$tools/node_modules/.bin/pnpm" ] || need+=("$PNPM_SPEC")

if [ "${#need[@]}" -gt 0 ]; then
  command -v npm >/dev/null || { echo "ensure-node: npm is needed to install ${need[*]}" >&2; exit 1; }
  echo "ensure-node: installing ${need[*]} into .tools/" >&2
  mkdir -p "$tools/bin"
  [ -f "$tools/package.json" ] || echo '{"private":true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "${need[@]}" >&2
  if [ -x "$tools/node_modules/node/bin/node" ]; then ln -sf ../node_modules/node/bin/node "$tools/bin/node"; fi
fi
ln -sf ../node_modules/.bin/pnpm "$tools/bin/pnpm"
echo "$tools/bin"
