#!/usr/bin/env bash
# The long fuzz run (outside mvn verify): ClientInputFuzzTest with a million inputs per target, the
# Netty leak detector at paranoid level, as in every test run. Prints one line per target:
#   fuzz <target>: <inputs> inputs, <crashes> crashes, <ms> ms, <leaks> leaks
# and fails if any target crashed or leaked. Crashing inputs land in gateway/target/fuzz-crashes/;
# the whole Maven output in gateway/target/fuzz.log.
#
#   gateway/fuzz/run.sh [inputs per target, default 1000000] [seed, default 20261126] [leak level, default paranoid]
#
# Paranoid leak detection records every access of every buffer and makes the pipeline target slow (several
# ms per input); "advanced" tracks one buffer in 128 and runs the million far faster. FUZZ_MAVEN_ARGS adds
# Maven arguments, e.g. FUZZ_MAVEN_ARGS=-Dfuzz.inputs.http=200000 for a different count on one target.
set -uo pipefail
cd "$(dirname "$0")/../.."
inputs="${1:-1000000}"
seed="${2:-20261126}"
leaks="${3:-paranoid}"
mkdir -p gateway/target
./mvnw -B -pl gateway -am test ${FUZZ_MAVEN_ARGS:-} -Dtest=ClientInputFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dfuzz.inputs="$inputs" -Dfuzz.seed="$seed" -Dfuzz.leak.level="$leaks" -Djunit.jupiter.execution.timeout.default=4h \
  > gateway/target/fuzz.log 2>&1
status=$?
grep -E '^fuzz |Tests run:.*Fail' gateway/target/fuzz.log | sort -u
exit $status
