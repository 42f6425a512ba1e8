#!/bin/sh
# Builds the kit that scripts/real-mpi/check.py runs from, for a machine without Node or network:
# KIT/node (this machine's Node binary, xz-compressed as node.xz) and KIT/app (the packed package
# installed with its production dependencies). Usage: scripts/real-mpi/make-kit.sh [KIT]
set -eu
kit=${1:-.device-kit}
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$kit" && mkdir -p "$kit/app"
kit=$(cd "$kit" && pwd)
cd "$root"
tarball=$(npm pack --silent --pack-destination "$kit")
cd "$kit/app"
echo '{"private":true}' > package.json
npm install --silent --omit=dev --no-audit --no-fund "$kit/$tarball"
rm "$kit/$tarball"
xz -T0 -6 -c "$(command -v node)" > "$kit/node.xz"
du -sh "$kit/node.xz" "$kit/app"
