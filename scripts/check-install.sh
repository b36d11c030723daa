#!/usr/bin/env bash
# make check-install (the last step of make test): installs with `make install` into a
# temporary DESTDIR and builds the .deb with `make deb`, then runs both copies of calport the
# way a machine without Swift would: a bare environment (env -i, PATH=/usr/bin:/bin, no
# LD_LIBRARY_PATH) and `ldd` naming no library from the toolchain. Needs no root.
# A shell script rather than a Swift test: it drives make, the release build and dpkg-deb,
# which have no place inside `swift test`'s timed, parallel-sensitive suites, and it runs
# once, after them, on the one release build.
#   scripts/check-install.sh STAGE
set -euo pipefail
stage=$1
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
MAKE=${MAKE:-make} SWIFT=${SWIFT:-swift}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }
step() { echo "check-install: $*" >&2; }

toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v "$SWIFT")")")")   # e.g. /opt/swift/usr
bare=(env -i PATH=/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8)
mkdir -p "$work/home"
version=$(scripts/version.sh)
expected_version="calport $version (libical $(pkg-config --modversion libical), libcurl $(pkg-config --modversion libcurl))"

# Runs an installed calport as a machine without Swift would, and checks what a user sees.
check_binary() { # BIN WHERE
  local bin=$1 where=$2
  ldd "$bin" > "$work/ldd" 2>&1 || fail "$where: ldd failed: $(cat "$work/ldd")"
  ! grep -q "not found" "$work/ldd" || fail "$where: missing libraries: $(grep 'not found' "$work/ldd")"
  ! grep -qF "$toolchain" "$work/ldd" || fail "$where: links the toolchain ($toolchain): $(grep -F "$toolchain" "$work/ldd")"
  ! grep -q "libswift\|libFoundation\|libdispatch" "$work/ldd" || fail "$where: Swift runtime linked dynamically"
  for lib in libical libcurl libsqlite3; do grep -q "$lib" "$work/ldd" || fail "$where: $lib is not linked"; done

  local got
  got=$("${bare[@]}" "$bin" --version) || fail "$where: --version failed"
  [ "$got" = "$expected_version" ] || fail "$where: --version said '$got', expected '$expected_version'"

  "${bare[@]}" "$bin" convert testdata/sample.ics -o "$work/sample.json" || fail "$where: convert of testdata/sample.ics failed"
  grep -q '"calendar#events"' "$work/sample.json" || fail "$where: convert wrote no calendar#events: $(head -c 300 "$work/sample.json")"
  "${bare[@]}" "$bin" verify testdata/sample.ics "$work/sample.json" > "$work/verify.txt" 2>&1 \
    || fail "$where: verify of the sample against its conversion failed: $(cat "$work/verify.txt")"
}

step "make install PREFIX=/usr/local DESTDIR=$work/root"
dest="$work/root"
# A file that is not calport's, in a directory install also uses: uninstall must leave both.
mkdir -p "$dest/usr/local/share/man/man1"
echo '.Dd' > "$dest/usr/local/share/man/man1/other.1"
"$MAKE" --no-print-directory install PREFIX=/usr/local DESTDIR="$dest" > "$work/install.log" \
  || fail "make install: $(tail -20 "$work/install.log")"
prefix="$dest/usr/local"
bin="$prefix/bin/calport"
[ -x "$bin" ] || fail "no $bin"

# A page for calport and each command it lists, each a well-formed page.
commands=$("${bare[@]}" "$bin" --help | awk '/^SUBCOMMANDS:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$commands" ] || fail "calport --help lists no subcommands"
for page in calport $(printf 'calport.%s\n' $commands) calport.auth.login calport.auth.token; do
  f="$prefix/share/man/man1/$page.1.gz"
  [ -f "$f" ] || fail "no man page $f"
  gzip -t "$f" || fail "$f is not gzip"
  if command -v groff >/dev/null 2>&1; then
    warnings=$(zcat "$f" | groff -mandoc -Tutf8 -ww -z 2>&1 || true)
    [ -z "$warnings" ] || fail "$page.1: groff warns: $warnings"
  fi
done
main=$(zcat "$prefix/share/man/man1/calport.1.gz")
for section in ENVIRONMENT FILES; do
  grep -q "^\.Sh $section\$" <<< "$main" || fail "calport.1 has no $section section"
done
exit_status=$("${bare[@]}" "$bin" --manual-section exit-status)
grep -qF -- "$exit_status" <<< "$main" || fail "calport.1's EXIT STATUS is not calport's exit code table"
grep -q '^\.Ex -std' <<< "$main" && fail "calport.1 still has generate-manual's generic exit status"
zcat "$prefix/share/man/man1/calport.convert.1.gz" | grep -qF -- "$(head -n3 <<< "$exit_status")" \
  || fail "calport.convert.1 has no exit code table"
grep -q 'Ev CALPORT_CONFIG_DIR' <<< "$main" || fail "calport.1 does not document CALPORT_CONFIG_DIR"

step "installed binary in a bare environment"
check_binary "$bin" "make install"

comp="$prefix/share/bash-completion/completions/calport"
got=$("${bare[@]}" bash -c 'source "$1" && complete -p calport' _ "$comp") || fail "bash completion does not load"
grep -q 'complete .*calport$' <<< "$got" || fail "bash completion registers no calport completion: $got"
[ -s "$prefix/share/zsh/site-functions/_calport" ] || fail "no zsh completion"
[ -s "$prefix/share/fish/vendor_completions.d/calport.fish" ] || fail "no fish completion"
if command -v zsh >/dev/null 2>&1; then zsh -n "$prefix/share/zsh/site-functions/_calport" || fail "zsh completion does not parse"; fi
if command -v fish >/dev/null 2>&1; then fish -n "$prefix/share/fish/vendor_completions.d/calport.fish" || fail "fish completion does not parse"; fi

installed=$(cd "$dest" && find . -type f ! -name other.1 | sed 's|^\.||' | sort)

step "make uninstall"
"$MAKE" --no-print-directory uninstall PREFIX=/usr/local DESTDIR="$dest" > "$work/uninstall.log" \
  || fail "make uninstall: $(cat "$work/uninstall.log")"
left=$(cd "$dest" && find . -mindepth 1 | sed 's|^\./||' | sort | tr '\n' ' ')
[ "$left" = "usr usr/local usr/local/share usr/local/share/man usr/local/share/man/man1 usr/local/share/man/man1/other.1 " ] \
  || fail "after uninstall, expected only the unrelated other.1 and its directories; found: $left"

step "make deb"
deb=$("$MAKE" --no-print-directory -s deb | tail -n1)
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "calport_${version}_${arch}.deb" ] || fail "make deb made '$deb'"
[ "$(dpkg-deb -f "$deb" Package)" = calport ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version), expected $version"
depends=$(dpkg-deb -f "$deb" Depends)
for pkg in libical3 libcurl4 libsqlite3-0 libc6; do
  grep -qE "(^|, )$pkg( |,|$)" <<< "$depends" || fail "Depends ($depends) lacks $pkg"
done
! grep -qE -- '-dev( |,|$)|swift' <<< "$depends" || fail "Depends names a -dev or Swift package: $depends"
# The same files as make install, under /usr (zsh's vendor directory for packages).
in_deb=$(dpkg-deb --fsys-tarfile "$deb" | tar -t | grep -v '/$' | sed 's|^\.||' | sort)
expected=$(sed -e 's|^/usr/local|/usr|' -e 's|/zsh/site-functions/|/zsh/vendor-completions/|' \
                -e '\|/share/calport/install-manifest$|d' <<< "$installed" | sort)
[ "$in_deb" = "$expected" ] || fail "the .deb's files differ from make install's: $(diff <(echo "$expected") <(echo "$in_deb") || true)"
dpkg-deb -x "$deb" "$work/x"
step "packaged binary (dpkg -x) in a bare environment"
check_binary "$work/x/usr/bin/calport" "make deb"

step "ok: $version installs, runs without the toolchain, uninstalls; $(basename "$deb") depends on $depends"
