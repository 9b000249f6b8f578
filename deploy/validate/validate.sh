#!/usr/bin/env bash
# Validates deploy/k8s and deploy/compose offline; run by `./mvnw -B verify` (deploy/pom.xml), or by hand:
#   STRIMZI_CLASSPATH_FILE=deploy/target/strimzi.classpath deploy/validate/validate.sh
# 1. Generates the CRDs of the Strimzi kinds used here (Kafka, KafkaNodePool, KafkaTopic) from Strimzi's api
#    artifact with Strimzi's own generator, as Strimzi's build does; both come from Maven Central through
#    deploy/pom.xml (STRIMZI_CLASSPATH_FILE). Once per Strimzi version, under target/.
# 2. Renders the base and every overlay with `kubectl kustomize`.
# 3. Validates every rendered object and compose.yaml (validate.mjs: Kubernetes, Strimzi, Prometheus-operator
#    and Compose schemas, and the JVM options against deploy/jvm.options), with npm packages from
#    package-lock.json.
# 4. Checks haproxy.cfg with `haproxy -c` where HAProxy is installed.
# Exits non-zero on the first step that fails, and on any invalid object.
#
#   STRIMZI_CLASSPATH_FILE  holds the class path of Strimzi's api and crd-generator jars with their
#                      dependencies, as written by `dependency:build-classpath` (required)
#   STRIMZI_VERSION    names the generated CRDs' directory (default: unknown)
#   STRIMZI_JAVA       a java of version 21 or later for the generator (default: the first found among
#                      $JAVA_HOME, the PATH and /usr/lib/jvm; Strimzi's jars are built for Java 21)
#   KUBECTL            kubectl with kustomize (default: kubectl)
#   FANWIRE_DEPLOY_OUT where to write (default: deploy/target)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
deploy=$(cd "$here/.." && pwd)
out=${FANWIRE_DEPLOY_OUT:-$deploy/target}
kubectl=${KUBECTL:-kubectl}
strimzi_version=${STRIMZI_VERSION:-unknown}

fail() { printf 'validate: %s\n' "$*" >&2; exit 1; }

[ -s "${STRIMZI_CLASSPATH_FILE:-}" ] || fail "no STRIMZI_CLASSPATH_FILE (deploy/pom.xml writes it: ./mvnw -B -pl deploy verify)"
command -v "$kubectl" > /dev/null || fail "no $kubectl: kustomize renders the manifests (kubectl 1.27 or later; or set KUBECTL)"
command -v node > /dev/null || fail "no node: the schemas are checked with Node.js 20 or later"

java_version() {
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p'
}

generator_java() {
    local candidate version
    for candidate in ${STRIMZI_JAVA:-} ${JAVA_HOME:+$JAVA_HOME/bin/java} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
        [ -x "$candidate" ] || continue
        version=$(java_version "$candidate")
        if [ -n "$version" ] && [ "${version%%.*}" -ge 21 ]; then
            echo "$candidate"
            return
        fi
    done
    fail "no Java 21 or later for Strimzi's CRD generator (set STRIMZI_JAVA)"
}

crds="$out/crds/strimzi-$strimzi_version"
if [ ! -s "$crds/kafka.yaml" ] || [ ! -s "$crds/kafkanodepool.yaml" ] || [ ! -s "$crds/kafkatopic.yaml" ]; then
    java=$(generator_java)
    echo "validate: generating Strimzi $strimzi_version CRDs with $java"
    mkdir -p "$crds"
    # The arguments of Strimzi's own build for these kinds (api/pom.xml in its repository).
    "$java" -cp "$(cat "$STRIMZI_CLASSPATH_FILE")" io.strimzi.crdgenerator.CrdGenerator \
        --target-kube 1.16+ --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
        "io.strimzi.api.kafka.model.kafka.Kafka=$crds/kafka.yaml" \
        "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$crds/kafkanodepool.yaml" \
        "io.strimzi.api.kafka.model.topic.KafkaTopic=$crds/kafkatopic.yaml" > "$out/crd-generator.log" 2>&1 \
        || { cat "$out/crd-generator.log" >&2; rm -rf "$crds"; fail "Strimzi's CRD generator failed"; }
fi

rendered="$out/rendered"
rm -rf "$rendered"
mkdir -p "$rendered"
"$kubectl" kustomize "$deploy/k8s/base" > "$rendered/base.yaml"
for overlay in "$deploy"/k8s/overlays/*/; do
    name=$(basename "$overlay")
    "$kubectl" kustomize "$overlay" > "$rendered/$name.yaml"
done

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
node "$here/validate.mjs" --crds "$crds" --jvm-options "$deploy/jvm.options" \
    --compose "$deploy/compose/compose.yaml" "$rendered"/*.yaml

if command -v haproxy > /dev/null; then
    # The compose service names do not resolve here; haproxy.cfg starts without them (init-addr none), which
    # `haproxy -c` reports as warnings.
    haproxy -c -q -f "$deploy/compose/haproxy.cfg" || fail "haproxy -c rejects deploy/compose/haproxy.cfg"
    echo "validate: haproxy.cfg: valid ($(haproxy -v | head -1 | cut -d' ' -f1-3))"
else
    echo "validate: haproxy.cfg: not checked, no haproxy here (Debian: apt-get install haproxy)"
fi
