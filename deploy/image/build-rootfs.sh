#!/usr/bin/env bash
# The base file system of Fanwire's container image, assembled from the build machine without a container
# runtime or a registry: a Java runtime made by jlink from the build's JDK (only the modules Fanwire uses),
# the shared libraries that runtime links against (glibc, libstdc++, libgcc_s, zlib), copied from the build
# machine with their Debian copyright files, and the few files a non-root process needs (/etc/passwd and
# /etc/group naming uid/gid 10001 "fanwire", a world-writable /tmp for the JVM's perf data and Netty's
# native transport). No shell, no package manager: the image runs `java` and nothing else.
#
#   deploy/image/build-rootfs.sh OUT_DIR [JAVA_HOME|newest]
#
# JAVA_HOME is the JDK whose runtime the image gets (default: $JAVA_HOME, else the java on the PATH);
# `newest` (what deploy/image/pom.xml passes unless -Dfanwire.image.jdk=DIR names one) takes the newest JDK
# among those and /usr/lib/jvm/* that jlink can link from: with jmods/, or one that links from its own run-time
# image (JEP 493; Temurin 24 and later ship no jmods/). OUT_DIR.properties tells the build the runtime's
# feature version, whether the image gets an AOT cache (fanwire.image.aot.skip) and, for 25 or later, the
# entrypoint's JVM flags (jib.container.jvmFlags): the options of deploy/jvm25.options and the AOT cache that
# aot-cache.sh makes at /app/fanwire.aot.
#
# The image is for the build machine's architecture (x86-64 or aarch64). Run by deploy/image/pom.xml before
# Jib, which lays this directory down as the image's first layer (Jib's base is `scratch`).
set -euo pipefail

out="${1:?usage: build-rootfs.sh OUT_DIR [JAVA_HOME|newest]}"
default_home="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
java_home="${2:-$default_home}"

linkable() {
  [ -x "$1/bin/jlink" ] && { [ -d "$1/jmods" ] || "$1/bin/jlink" --help 2>/dev/null | grep -q 'Linking from run-time image enabled'; }
}
feature() {
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}
if [ "$java_home" = newest ]; then
  java_home=""
  for candidate in "$default_home" /usr/lib/jvm/*/; do
    candidate="${candidate%/}"
    linkable "$candidate" || continue
    if [ -z "$java_home" ] || [ "$(feature "$candidate")" -gt "$(feature "$java_home")" ]; then
      java_home="$candidate"
    fi
  done
  [ -n "$java_home" ] || { echo "build-rootfs: no JDK with jlink and jmods/ (or a linkable run-time image) found" >&2; exit 1; }
fi
[ -x "$java_home/bin/jlink" ] || { echo "build-rootfs: no jlink in $java_home (a JDK, not a JRE, is needed)" >&2; exit 1; }
linkable "$java_home" || { echo "build-rootfs: $java_home has no jmods/ (install the JDK's jmods, e.g. Debian's openjdk-17-jdk-headless)" >&2; exit 1; }
command -v ldd >/dev/null || { echo "build-rootfs: ldd is needed" >&2; exit 1; }
java_feature="$(feature "$java_home")"

# The modules the gateway and its libraries need: `jdeps --print-module-deps` on the shaded jar gives
# java.base, java.compiler, java.naming, java.security.jgss, java.security.sasl, java.sql, jdk.jfr,
# jdk.management, jdk.sctp and jdk.unsupported. jdk.sctp is left out (Netty's SCTP transport, unused); added:
# jdk.crypto.ec (TLS with EC keys), jdk.jcmd (an operator's jcmd and jstack in the container), jdk.zipfs.
modules=java.base,java.compiler,java.naming,java.security.jgss,java.security.sasl,java.sql,jdk.jfr,jdk.management
modules+=,jdk.unsupported,jdk.crypto.ec,jdk.jcmd,jdk.zipfs

rm -rf "$out"
mkdir -p "$out/opt" "$out/etc" "$out/tmp" "$out/licenses"
# --compress=2 (zip): Java 17's spelling; later JDKs accept it with a deprecation warning.
"$java_home/bin/jlink" --add-modules "$modules" --output "$out/opt/java" \
    --strip-debug --no-header-files --no-man-pages --compress=2

# Every shared library the runtime's binaries and libraries need, with the dynamic loader, at the same paths
# as on the build machine (the binaries' interpreter path and the loader's default search path).
declare -A libs=()
while IFS= read -r -d '' f; do
  while read -r lib; do libs["$lib"]=1; done < <(ldd "$f" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}')
done < <(find "$out/opt/java" -type f \( -name '*.so' -o -perm -u+x \) -print0)
[ ${#libs[@]} -gt 0 ] || { echo "build-rootfs: found no shared libraries to copy (ldd failed?)" >&2; exit 1; }
for lib in "${!libs[@]}"; do
  case "$lib" in "$out"/*) continue ;; esac
  real=$(readlink -f "$lib")
  mkdir -p "$out$(dirname "$lib")"
  cp "$real" "$out$lib"
  # The Debian package the library comes from: its copyright file goes with it.
  pkg=$( (dpkg -S "$lib" || dpkg -S "$real") 2>/dev/null | head -1 | cut -d: -f1 || true)
  if [ -n "$pkg" ] && [ -f "/usr/share/doc/$pkg/copyright" ]; then
    cp "/usr/share/doc/$pkg/copyright" "$out/licenses/$pkg.copyright"
  fi
done

cat > "$out/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
fanwire:x:10001:10001:Fanwire:/tmp:/sbin/nologin
EOF
cat > "$out/etc/group" <<'EOF'
root:x:0:
fanwire:x:10001:
EOF
# Name resolution for Kafka's bootstrap and advertised host names: files, then DNS.
echo 'hosts: files dns' > "$out/etc/nsswitch.conf"
chmod 1777 "$out/tmp"

# For deploy/image/pom.xml. On 25 or later the entrypoint gets deploy/jvm25.options and the AOT cache, which
# aot-cache.sh makes at /app/fanwire.aot once Jib has laid out the classpath (the cache records it).
{
  echo "fanwire.image.java.feature=$java_feature"
  if [ "$java_feature" -ge 25 ]; then
    flags=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$(dirname "$0")/../jvm25.options" | paste -sd, -)
    echo "jib.container.jvmFlags=$flags,-XX:AOTCache=/app/fanwire.aot"
    echo "fanwire.image.aot.skip=false"
  else
    echo "fanwire.image.aot.skip=true"
  fi
} > "$out.properties"
echo "build-rootfs: $(du -sh "$out" | cut -f1) in $out (Java $java_feature runtime from $java_home; ${#libs[@]} shared libraries)"
