#!/usr/bin/env bash
# Benchmarks, one case per first argument, each in its own folder. Each prints, besides progress,
# "BENCH name=... ours=... ref=... refname=... ratio=... unit=..." lines with the reference measured
# in the same run. None of them gates CI.
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
    engine) shift; exec ./engine/run.sh engine "$@" ;;
    jit) shift; exec ./jit/run.sh "$@" ;;
    disk) shift; exec ./disk/run.sh "$@" ;;
    autograde) shift; exec ./autograde/run.sh "$@" ;;
    client) shift; exec ./client/run.sh "$@" ;;
    load) shift; exec ./load/run.sh "$@" ;;
    jit-wasm) shift; exec ./jit/wasm.sh "$@" ;;
    display) shift; exec ./display/run.sh "$@" ;;
    *) echo "usage: bench/run.sh CASE   (cases: engine, jit, jit-wasm, disk, autograde, client, load, display)" >&2; exit 2 ;;
esac
