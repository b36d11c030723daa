#!/usr/bin/env bash
# make deb: OUTDIR/calport_<version>_<arch>.deb with the files of `make install PREFIX=/usr`
# (zsh completion in /usr/share/zsh/vendor-completions, where Debian's zsh looks for packages').
# Depends is derived from the binary: each shared library it names (NEEDED), the package that
# holds that library (dpkg -S), and that package's own shlibs line (the minimum version it
# declares), the way dpkg-shlibdeps falls back without symbol files. No root needed.
#   scripts/deb.sh STAGE OUTDIR
set -euo pipefail
stage=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
version=$("$root/scripts/version.sh")
arch=$(dpkg --print-architecture)
maintainer=${DEB_MAINTAINER:-$(git -C "$root" log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$maintainer" ] || { echo "deb.sh: set DEB_MAINTAINER='Name <address>'" >&2; exit 1; }

# The package that holds PATH (ldd may name /lib/... where dpkg recorded /usr/lib/..., or the reverse).
owner() {
  local p candidates=("$1" "$(readlink -f "$1")")
  case "$1" in /usr/*) candidates+=("${1#/usr}");; *) candidates+=("/usr$1");; esac
  for p in "${candidates[@]}"; do
    dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
  done
  return 1
}

bin="$stage/bin/calport"
needed=$(LC_ALL=C readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
deps=()
for soname in $needed; do
  # "libfoo.so.3 => /lib/.../libfoo.so.3 (0x...)", or for the loader "/lib64/ld-linux....so.2 (0x...)".
  path=$(ldd "$bin" | awk -v s="$soname" '
    $1 == s && $3 ~ /^\// { print $3; exit }
    substr($1, 1, 1) == "/" && substr($1, length($1) - length(s)) == "/" s { print $1; exit }')
  [ -n "$path" ] || { echo "deb.sh: $soname is not found on this system" >&2; exit 1; }
  pkg=$(owner "$path") || { echo "deb.sh: no Debian package holds $path ($soname)" >&2; exit 1; }
  # libfoo.so.3 -> "libfoo 3", the key of the package's shlibs file.
  name=${soname%%.so.*} so=${soname#*.so.}
  shlibs=$(ls /var/lib/dpkg/info/"$pkg":"$arch".shlibs /var/lib/dpkg/info/"$pkg".shlibs 2>/dev/null | head -n1 || true)
  dep=""
  [ -n "$shlibs" ] && dep=$(awk -v n="$name" -v v="$so" '$1 == n && $2 == v && NF > 2 { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$shlibs")
  deps+=("${dep:-$pkg}")
done
depends=$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, - | sed 's/,/, /g')

tree="$out/calport_${version}_${arch}"
rm -rf "$tree"
mkdir -p "$tree"
PREFIX=/usr DESTDIR="$tree" BINDIR=/usr/bin MANDIR=/usr/share/man \
  BASHCOMPDIR=/usr/share/bash-completion/completions ZSHCOMPDIR=/usr/share/zsh/vendor-completions \
  FISHCOMPDIR=/usr/share/fish/vendor_completions.d NO_MANIFEST=1 "$root/scripts/install.sh" "$stage" >/dev/null

mkdir -p "$tree/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" "$root/packaging/debian/control.in" > "$tree/DEBIAN/control"
(cd "$tree" && find usr -type f | sort | xargs md5sum) > "$tree/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$tree" "$out/calport_${version}_${arch}.deb" >&2
rm -rf "$tree"
echo "$out/calport_${version}_${arch}.deb"
