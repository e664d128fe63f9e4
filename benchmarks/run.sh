#!/usr/bin/env bash
# Builds the project and runs the JMH suite, then writes benchmarks/results.json and
# benchmarks/RESULTS.md (machine, JDK, date, ops/s, MB/s, each peer relative to SunJCE).
#
#   benchmarks/run.sh [short|full] [benchmark regexps, -p name=v1,v2 ...]
#   (the profile fixes forks and iterations; JMH refuses them twice)
#
# short: 1 fork, 2 x 2 s warm-up, 3 x 2 s measured (the whole suite in well under 10 minutes)
# full:  3 forks, 5 x 5 s warm-up, 5 x 5 s measured
# SKIP_BUILD=1 reuses benchmarks/target/benchmarks.jar.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
profile="${1:-short}"
[[ $# -gt 0 ]] && shift
case "$profile" in
  short) opts=(-f 1 -wi 2 -w 2s -i 3 -r 2s) ;;
  full) opts=(-f 3 -wi 5 -w 5s -i 5 -r 5s) ;;
  *) echo "usage: $0 [short|full] [benchmark regexps, -p name=values ...]" >&2; exit 2 ;;
esac
java="${JAVA:-java}"
# What is measured: this commit plus whatever the working tree changes in the measured modules.
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain -- protocol service-daemon provider 2>/dev/null)" ]]; then
  commit="$commit plus uncommitted changes in protocol/, service-daemon/ or provider/"
fi
export COFFER_BENCH_COMMIT="$commit"
if [[ -z "${SKIP_BUILD:-}" ]]; then
  mvn -B -q -DskipTests install
fi
jar=benchmarks/target/benchmarks.jar
"$java" -jar "$jar" "${opts[@]}" -rf json -rff benchmarks/results.json "$@"
"$java" -cp "$jar" dev.coffer.bench.report.ResultsReport benchmarks/results.json \
  benchmarks/RESULTS.md "$profile"
