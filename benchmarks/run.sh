#!/usr/bin/env bash
# Reproduces the whole end-to-end table of benchmarks/README.md: builds Fanwire and the benchmark runner,
# installs the peers (npm ci, from the lock file), then runs every scenario against Fanwire and both peers.
# Needs a JDK 17+ and Node.js 20 with npm. Takes about 40 minutes on 2 cores; loopback traffic only.
# Extra arguments go to the runner, e.g. --runs 1 --clients 1000 --targets fanwire.
set -euo pipefail
cd "$(dirname "$0")/.."

./mvnw -B -q -DskipTests package
(cd benchmarks/peers && npm ci --no-audit --no-fund --silent)
exec java -Xmx2g -cp benchmarks/target/benchmarks.jar io.fanwire.benchmarks.e2e.BenchmarkRunner "$@"
