#!/usr/bin/env bash
# Soak variants of the "nothing lost" fault tests: a node killed with SIGKILL (NodeKillIT) and a rolling
# drain of two nodes (RollingDrainIT), with many clients — the product Java client, clients/java — and minutes
# of traffic instead of the short variants that `mvn verify` runs. What each client hands to the application is
# checked per key: contiguous sequence numbers, no loss, no duplicate; the run fails if one is not. Figures: the
# SOAK lines (produced, expected and delivered records, lost, duplicates handed to the application, duplicates
# the client discarded), also in gateway/target/soak-resume.txt.
#
#   scripts/soak-resume.sh [clients] [records-per-second] [seconds-between-faults]
#
# Defaults: 1000 clients, 40 records/s (40,000 deliveries/s to the clients on the client library's two shared
# event loops in the test JVM, half of them decoding JSON), 60 s. Run it on an otherwise quiet machine. Netty's leak detector samples
# (simple) instead of tracking every buffer (paranoid, as in `mvn verify`), and the test JVM gets 3 GiB.
# FANWIRE_SOAK_TRANSACTIONAL=true: the producer writes in transactions of 10 records and aborts one in ten
# (then writes those sequence numbers again); a client handed an aborted record would count a duplicate.
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${1:-1000}"
rate="${2:-40}"
phase="${3:-60}"
./mvnw -B -q -DskipTests -pl gateway -am package
./mvnw -B -pl gateway -am verify -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false \
    -Dit.test='NodeKillIT,RollingDrainIT' \
    -Dfanwire.it.leakDetection=simple -Dfanwire.it.heap=3g -Djunit.jupiter.execution.timeout.default=60m \
    -Dfanwire.soak.transactional="${FANWIRE_SOAK_TRANSACTIONAL:-false}" -Dfanwire.soak.clients="$clients" -Dfanwire.soak.rate="$rate" -Dfanwire.soak.phase.seconds="$phase" \
    | tee gateway/target/soak-resume.log
grep -ho 'SOAK [^<&]*' gateway/target/soak-resume.log gateway/target/failsafe-reports/TEST-*.xml 2>/dev/null \
    | sort -u | tee gateway/target/soak-resume.txt
