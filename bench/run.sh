#!/usr/bin/env bash
# Benchmarks, one case per first argument. Each prints "BENCH name=... ours=... ref=... ratio=..." lines
# with a reference measured in the same run; none of them gates CI.
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
    disk) shift; exec ./disk/run.sh "$@" ;;
    *) echo "usage: bench/run.sh CASE   (cases: disk)" >&2; exit 2 ;;
esac
