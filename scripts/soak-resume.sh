#!/usr/bin/env bash
# Soak variants of the "nothing lost" fault tests: a node killed with SIGKILL (NodeKillIT) and a rolling
# drain of two nodes (RollingDrainIT), with many resuming clients and minutes of traffic instead of the
# short variants that `mvn verify` runs. Every client verifies, per key, contiguous sequence numbers with no
# loss and no duplicate; the run fails if one does not. Figures: the SOAK lines, also in gateway/target/soak-resume.txt.
#
#   scripts/soak-resume.sh [clients] [records-per-second] [seconds-between-faults]
#
# Defaults: 1000 clients, 40 records/s (40,000 deliveries/s to Netty clients on two event loops in the test
# JVM, half of them decoding JSON), 60 s. Run it on an otherwise quiet machine. Netty's leak detector samples
# (simple) instead of tracking every buffer (paranoid, as in `mvn verify`), and the test JVM gets 3 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${1:-1000}"
rate="${2:-40}"
phase="${3:-60}"
./mvnw -B -q -DskipTests -pl gateway -am package
./mvnw -B -pl gateway -am verify -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test='NodeKillIT,RollingDrainIT' \
    -Dfanwire.it.leakDetection=simple -Dfanwire.it.heap=3g -Djunit.jupiter.execution.timeout.default=60m \
    -Dfanwire.soak.clients="$clients" -Dfanwire.soak.rate="$rate" -Dfanwire.soak.phase.seconds="$phase" \
    | tee gateway/target/soak-resume.log
grep -ho 'SOAK [^<&]*' gateway/target/soak-resume.log gateway/target/failsafe-reports/TEST-*.xml 2>/dev/null \
    | sort -u | tee gateway/target/soak-resume.txt
