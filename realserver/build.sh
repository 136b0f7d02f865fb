#!/usr/bin/env bash
# Build nats-server release binaries into the cache outside the clone, one at a time:
#   realserver/build.sh v2.10.22 [v2.10.28 ...]
# Each lands at $CACHE/bin/<version>/nats-server, where CACHE is $NATS_FILESTORE_MODEL_CACHE,
# else ${XDG_CACHE_HOME:-~/.cache}/nats-filestore-model. A binary already there is kept.
# Builds with `go install github.com/nats-io/nats-server/v2@<version>` through the Go module
# proxy into a temporary folder, then moves the binary in place, so an interrupted build
# never leaves a half-written binary. Prints one line per version with the seconds it took.
set -euo pipefail

cache="${NATS_FILESTORE_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nats-filestore-model}"
if [ "$#" -eq 0 ]; then
  echo "usage: realserver/build.sh VERSION..." >&2
  exit 2
fi
if ! command -v go >/dev/null 2>&1; then
  echo "error: go is not installed; build nats-server elsewhere and pass --server PATH or NATS_SERVER_BIN" >&2
  exit 2
fi

for version in "$@"; do
  if ! [[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "error: \"$version\" is not a release tag (vMAJOR.MINOR.PATCH); a patched build is passed with --server PATH" >&2
    exit 2
  fi
  dir="$cache/bin/$version"
  bin="$dir/nats-server"
  if [ -x "$bin" ]; then
    echo "$version: cached at $bin"
    continue
  fi
  mkdir -p "$dir"
  tmp="$(mktemp -d "$dir/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  start=$(date +%s)
  if ! GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "github.com/nats-io/nats-server/v2@$version" >"$tmp/build.log" 2>&1; then
    echo "error: building nats-server $version failed:" >&2
    tail -n 20 "$tmp/build.log" >&2
    exit 1
  fi
  mv "$tmp/nats-server" "$bin"
  rm -rf "$tmp"
  trap - EXIT
  echo "$version: built in $(( $(date +%s) - start )) s at $bin"
done
