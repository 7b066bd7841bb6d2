#!/usr/bin/env bash
# Checks what `gradle publishToMavenLocal` put into the local Maven repository, as a consumer
# would see it: for dev.freshcreds:freshcreds and dev.freshcreds:freshcreds-spring-boot the jar,
# the sources jar (with the .java files), the javadoc jar (with the HTML), and a POM with name,
# description, url, licence, scm, developers and the dependencies in the right scopes; the
# Automatic-Module-Name of each jar, the native libraries in freshcreds' jar, and the SDKs' hook
# declarations in freshcreds' global jar (classifier global) and not in its main jar.
#
# Usage: scripts/check-published.sh [--natives N]   (N: how many native libraries the jar must
#        carry; default: at least 1). The repository is ~/.m2/repository unless MAVEN_REPO is set.
set -euo pipefail
FC_NAME=check-published
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

natives=""
[ "${1:-}" = "--natives" ] && natives="$2"
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
version="$(sed -n "s/^ *version = '\(.*\)'/\1/p" build.gradle | head -1)"
failures=0
fail() { echo "check-published: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "check-published: ok: $*"; }

# has <zip> <entry regex> <what>: the zip lists an entry matching the regex.
# (Listings are read whole before grep: with pipefail, grep -q closing a pipe early would fail it.)
has() {
  local entries
  entries="$(unzip -l "$1" | awk 'NR > 3 { print $4 }')"
  if grep -Eq "$2" <<< "$entries"; then ok "$3"; else fail "$3 ($(basename "$1") has no entry matching $2)"; fi
}
# pom_has <pom> <regex over the POM on one line> <what>
pom_has() {
  local text
  text="$(tr -d '\n' < "$1")"
  if grep -Eq "$2" <<< "$text"; then ok "$3"; else fail "$3 (not in $(basename "$1"))"; fi
}

check_artifact() {
  local artifact="$1" module="$2" class="$3"
  local dir="$repo/dev/freshcreds/$artifact/$version"
  local base="$dir/$artifact-$version"
  for f in "$base.jar" "$base-sources.jar" "$base-javadoc.jar" "$base.pom"; do
    [ -s "$f" ] || { fail "missing $f (run gradle publishToMavenLocal)"; return; }
  done
  ok "$artifact $version: jar, sources jar, javadoc jar and POM in $dir"
  local listing
  listing="$(unzip -l "$base-sources.jar")"
  echo "--- unzip -l $(basename "$base-sources.jar") (first entries)"; sed -n '4,8p' <<< "$listing"
  listing="$(unzip -l "$base-javadoc.jar")"
  echo "--- unzip -l $(basename "$base-javadoc.jar") (first entries)"; sed -n '4,8p' <<< "$listing"
  has "$base-sources.jar" "^${class}\.java$" "$artifact sources jar has ${class}.java"
  has "$base-javadoc.jar" '^index\.html$' "$artifact javadoc jar has index.html"
  has "$base-javadoc.jar" "^${class}\.html$" "$artifact javadoc jar documents ${class}"
  has "$base.jar" "^${class}\.class$" "$artifact jar has ${class}.class"
  for j in "$base.jar" "$base-sources.jar" "$base-javadoc.jar"; do
    has "$j" '^META-INF/LICENSE$' "$(basename "$j") carries the licence"
  done
  local manifest
  manifest="$(unzip -p "$base.jar" META-INF/MANIFEST.MF | tr -d '\r')"
  if grep -qx "Automatic-Module-Name: $module" <<< "$manifest"; then
    ok "$artifact jar: Automatic-Module-Name: $module"
  else
    fail "$artifact jar has no Automatic-Module-Name: $module"
  fi
  local pom="$base.pom"
  pom_has "$pom" "<groupId>dev.freshcreds</groupId> *<artifactId>$artifact</artifactId> *<version>$version</version>" "$artifact POM coordinates"
  pom_has "$pom" '<name>[^<]+</name>' "$artifact POM name"
  pom_has "$pom" '<description>[^<]+</description>' "$artifact POM description"
  pom_has "$pom" '<url>https?://[^<]+</url>' "$artifact POM url"
  pom_has "$pom" '<licenses> *<license> *<name>Apache License, Version 2.0</name>' "$artifact POM licence"
  pom_has "$pom" '<scm> *<url>[^<]+</url> *<connection>scm:git:[^<]+</connection>' "$artifact POM scm"
  pom_has "$pom" '<developers> *<developer> *<id>[^<]+</id>' "$artifact POM developers"
}

check_artifact freshcreds dev.freshcreds 'dev/freshcreds/FreshCredentialsSource'
jar="$repo/dev/freshcreds/freshcreds/$version/freshcreds-$version.jar"
pom="$repo/dev/freshcreds/freshcreds/$version/freshcreds-$version.pom"
if [ -s "$jar" ]; then
  listing="$(unzip -l "$jar" | awk 'NR > 3 { print $4 }')"
  count="$(grep -E '^native/.+/.+' <<< "$listing" | grep -vc 'SHA256SUMS$' || true)"
  if [ -n "$natives" ] && [ "$count" != "$natives" ]; then fail "freshcreds jar carries $count native libraries, not $natives"
  elif [ "$count" -lt 1 ]; then fail "freshcreds jar carries no native library"
  else ok "freshcreds jar carries $count native libraries"; fi
  has "$jar" '^native/SHA256SUMS$' "freshcreds jar has native/SHA256SUMS"
  # The SDKs' hook declarations: only in the global jar (in the product jar they would break SDKs
  # in child class loaders of the jar's); the product jar keeps their texts at an inert path.
  for decl in software/amazon/awssdk/global/handlers/execution.interceptors com/amazonaws/global/handlers/request.handler2s; do
    if grep -qx "$decl" <<< "$listing"; then fail "freshcreds jar declares SDK hooks ($decl)"; else ok "freshcreds jar does not declare $decl"; fi
    has "$jar" "^dev/freshcreds/hooks/${decl##*/}\$" "freshcreds jar keeps ${decl##*/} at dev/freshcreds/hooks/"
  done
  gjar="$repo/dev/freshcreds/freshcreds/$version/freshcreds-$version-global.jar"
  if [ -s "$gjar" ]; then
    ok "freshcreds global jar in $(dirname "$gjar")"
    has "$gjar" '^software/amazon/awssdk/global/handlers/execution\.interceptors$' "global jar declares the SDK v2 hooks"
    has "$gjar" '^com/amazonaws/global/handlers/request\.handler2s$' "global jar declares the SDK v1 hook"
    has "$gjar" '^META-INF/LICENSE$' "global jar carries the licence"
    glisting="$(unzip -l "$gjar" | awk 'NR > 3 { print $4 }')"
    if grep -q '\.class$' <<< "$glisting"; then fail "global jar carries classes"; else ok "global jar carries no classes"; fi
    gtext="$(unzip -p "$gjar" software/amazon/awssdk/global/handlers/execution.interceptors | tr -d '\r')"
    if grep -qx 'dev.freshcreds.sdkv2.GlobalInterceptor' <<< "$gtext"; then
      ok "global jar names dev.freshcreds.sdkv2.GlobalInterceptor"
    else
      fail "global jar does not name dev.freshcreds.sdkv2.GlobalInterceptor"
    fi
  else
    fail "missing $gjar (run gradle publishToMavenLocal)"
  fi
  for dep in 'com.amazonaws</groupId> *<artifactId>aws-java-sdk-core' 'software.amazon.awssdk</groupId> *<artifactId>auth' 'org.slf4j</groupId> *<artifactId>slf4j-api' 'io.micrometer</groupId> *<artifactId>micrometer-core'; do
    pom_has "$pom" "<groupId>$dep</artifactId> *<version>[^<]+</version> *<scope>provided</scope> *<optional>true</optional>" "freshcreds POM: ${dep%%<*} ${dep##*>} optional, provided"
  done
fi

check_artifact freshcreds-spring-boot dev.freshcreds.spring 'dev/freshcreds/spring/FreshCredentialsAutoConfiguration'
sjar="$repo/dev/freshcreds/freshcreds-spring-boot/$version/freshcreds-spring-boot-$version.jar"
spom="$repo/dev/freshcreds/freshcreds-spring-boot/$version/freshcreds-spring-boot-$version.pom"
if [ -s "$sjar" ]; then
  has "$sjar" '^META-INF/spring/org\.springframework\.boot\.autoconfigure\.AutoConfiguration\.imports$' "starter jar registers its auto-configuration"
  pom_has "$spom" "<groupId>dev.freshcreds</groupId> *<artifactId>freshcreds</artifactId> *<version>$version</version> *<scope>compile</scope>" "starter POM depends on dev.freshcreds:freshcreds:$version"
  pom_has "$spom" '<artifactId>spring-boot-actuator</artifactId> *<version>[^<]+</version> *<scope>provided</scope> *<optional>true</optional>' "starter POM: Actuator optional"
  pom_has "$spom" '<artifactId>spring-boot-health</artifactId> *<version>4\.[^<]+</version> *<scope>provided</scope> *<optional>true</optional>' "starter POM: Spring Boot 4's health module optional"
fi

if [ "$failures" -gt 0 ]; then
  echo "check-published: $failures checks failed" >&2
  exit 1
fi
echo "check-published: all checks passed"
