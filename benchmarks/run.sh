#!/usr/bin/env bash
# Builds the project and runs the JMH suite, then writes benchmarks/results.json and
# benchmarks/RESULTS.md (machine, JDK, date, ops/s, MB/s, each peer relative to SunJCE).
#
#   benchmarks/run.sh [short|full] [benchmark regexps, -p name=v1,v2 ...]
#   (the profile fixes forks and iterations; JMH refuses them twice)
#
# short: 1 fork, 2 x 1 s warm-up, 3 x 1 s measured (the whole suite, 76 forks, about 9 minutes)
#        and the two ColdStart benchmarks in 3 fresh JVMs per case (10 in the full profile)
# full:  4 forks, 3 x 2 s warm-up, 3 x 2 s measured (about 80 minutes). Each fork's JIT settles
#        into its own speed (1 KiB rows differ by up to 15 % between forks, not between
#        iterations), so the time goes to more forks rather than longer ones.
# SKIP_BUILD=1 reuses benchmarks/target/benchmarks.jar.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"
profile="${1:-short}"
[[ $# -gt 0 ]] && shift
case "$profile" in
  short) opts=(-f 1 -wi 2 -w 1s -i 3 -r 1s); cold_forks=3 ;;
  full) opts=(-f 4 -wi 3 -w 2s -i 3 -r 2s); cold_forks=10 ;;
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
# HsmBenchmark's SoftHSM2 tokens live in a directory of this run only. SoftHSM2 reads nothing but
# the environment variable, which the forked benchmark JVMs inherit from JMH's.
hsm_dir="$(mktemp -d /tmp/cofbench-hsm.XXXXXX)"
trap 'rm -rf "$hsm_dir"' EXIT
export SOFTHSM2_CONF="$hsm_dir/softhsm2.conf"
# Other sessions on this machine run JMH too and JMH refuses to run twice (/tmp/jmh.lock, an
# fcntl lock): wait for the lock to be free instead of failing, up to 20 minutes.
if command -v python3 >/dev/null; then
  python3 - <<'PY'
import fcntl, os, sys, time
deadline = time.time() + 1200
while True:
    fd = os.open("/tmp/jmh.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_UN)
        sys.exit(0)
    except OSError:
        if time.time() > deadline:
            sys.exit("another JMH run still holds /tmp/jmh.lock after 20 minutes")
        time.sleep(2)
    finally:
        os.close(fd)
PY
fi
start=$(date +%s)
# ColdStartBenchmark and ColdStartPreTouchedBenchmark measure a fresh JVM's first calls: the
# profile's warm-up and iterations would warm them, so they run on their own (whole-suite runs
# only), one measured call per fork.
"$java" -jar "$jar" "${opts[@]}" -e 'ColdStart' -rf json -rff benchmarks/results.json "$@"
cold=()
if [[ $# -eq 0 ]]; then
  "$java" -jar "$jar" 'ColdStart' -f "$cold_forks" -wi 0 -i 1 -rf json \
    -rff benchmarks/results-cold.json
  cold=(benchmarks/results-cold.json)
fi
echo "JMH took $(( $(date +%s) - start )) s"
"$java" -cp "$jar" dev.coffer.bench.report.ResultsReport benchmarks/results.json \
  benchmarks/RESULTS.md "$profile" "${cold[@]}"
