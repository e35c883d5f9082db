#!/bin/sh
# Measures kubesim's list latency at 10,000 pods and its watch fan-out to 50
# watchers, and prints the figures as Markdown (for FIGURES.md).
# usage: bench/kubesim/run.sh BUILDDIR [pods] [watchers] [changes] [lists]
set -eu
build=${1:?usage: run.sh BUILDDIR [pods] [watchers] [changes] [lists]}
shift
make -C "$build" opsdeck-kubesim bench/kubesim/bench-kubesim >/dev/null
echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores, $(uname -sm), $(${CC:-cc} --version | head -n1)."
echo
"$build/bench/kubesim/bench-kubesim" "$build/opsdeck-kubesim" "${1:-10000}" "${2:-50}" "${3:-200}" "${4:-20}"
