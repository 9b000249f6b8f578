#!/usr/bin/env bash
# Fault test 4, soak variant: thousands of clients over three topics (conflate, drop, disconnect), 1% of them
# stop reading for minutes. Prints latency per phase, gateway memory, and checks no loss for healthy clients
# and each frozen client's treatment; exit status 0 when all checks pass. Not part of mvn verify.
# Defaults: 3000 clients, 60 s baseline, 180 s frozen. Arguments pass through, e.g.
#   benchmarks/soak.sh --clients 5000 --frozen-s 300 --rate 10 --payload-bytes 2000
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q -DskipTests package
exec java -Xmx2g -cp benchmarks/target/benchmarks.jar io.fanwire.benchmarks.soak.FrozenClientsSoak "$@"
