#!/usr/bin/env bash
# The image's AOT cache (Java 25 or later), made from the image itself: the tarball Jib wrote is unpacked
# (its layers in order, as a container runtime would), and deploy/aot-train runs the image's own java with the
# image's JVM options (JDK_JAVA_OPTIONS and the entrypoint's flags) and the image's classpath, under the
# unpacked directory instead of /. The JVM accepts the cache at run time under / because every path it recorded
# (the runtime's lib/modules and each jar of the classpath) moved by the same prefix, and the jars keep the
# size and modification time Jib gave them. Writes OUT_DIR/app/fanwire.aot, which pom.xml's second Jib run adds
# at /app/fanwire.aot, where the entrypoint's -XX:AOTCache points. An image whose runtime is older than 25
# gets no cache: OUT_DIR is left empty.
#
#   deploy/image/aot-cache.sh IMAGE_TAR OUT_DIR        (FANWIRE_TOOLS: the training's broker and clients)
#
# Run by deploy/image/pom.xml between its two Jib runs; the unpacked image is deleted afterwards.
set -euo pipefail

tarball="${1:?usage: aot-cache.sh IMAGE_TAR OUT_DIR}"
out="${2:?usage: aot-cache.sh IMAGE_TAR OUT_DIR}"
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)

root=$(mktemp -d "${TMPDIR:-/tmp}/fanwire-image-aot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir "$root/image" "$root/fs"
tar -xf "$tarball" -C "$root/image"
for layer in $(grep -o '"[^"]*\.tar\.gz"' "$root/image/manifest.json" | tr -d '"'); do
  tar -xzf "$root/image/$layer" -C "$root/fs"
done

feature=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$root/fs/opt/java/release")
if [ "$feature" -lt 25 ]; then
  echo "aot-cache: the image's Java is $feature; an AOT cache needs 25 or later, none made"
  exit 0
fi

config="$root/image/$(grep -o '"Config":"[^"]*"' "$root/image/manifest.json" | cut -d'"' -f4)"
jdk_java_options=$(grep -o '"JDK_JAVA_OPTIONS=[^"]*"' "$config" | sed 's/^"JDK_JAVA_OPTIONS=//; s/"$//')
# The entrypoint's flags between "java" and "-cp", without the cache it reads (the training writes it).
flags=()
while IFS= read -r word; do
  case "$word" in
    java | -XX:AOTCache=*) ;;
    -cp) break ;;
    *) flags+=("$word") ;;
  esac
done < <(grep -o '"Entrypoint":\[[^]]*\]' "$config" | sed 's/^"Entrypoint":\[//; s/\]$//' | tr ',' '\n' | tr -d '"')
main=$(grep -o '"Entrypoint":\[[^]]*\]' "$config" | tr ',' '\n' | tr -d '"]' | tail -1)
classpath=$(sed "s#\(^\|:\)/app/#\1$root/fs/app/#g" "$root/fs/app/jib-classpath-file")

mkdir -p "$out/app"
"$here/../aot-train" --out "$out/app/fanwire.aot" -- \
  env JDK_JAVA_OPTIONS="$jdk_java_options" "$root/fs/opt/java/bin/java" "${flags[@]}" \
  -XX:AOTCacheOutput="$out/app/fanwire.aot" -cp "$classpath" "$main"
