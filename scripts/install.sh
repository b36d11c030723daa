#!/usr/bin/env bash
# make install / make uninstall. Installs STAGE (scripts/stage.sh) under $DESTDIR$PREFIX and
# records every file and every directory it created in $PREFIX/share/calport/install-manifest,
# so that uninstall removes exactly those: files it did not write and directories that were
# already there stay.
#   scripts/install.sh STAGE        install (NO_MANIFEST=1: no record, for the .deb's tree)
#   scripts/install.sh --uninstall  remove what the record lists, then the record
# Directories: PREFIX (/usr/local), BINDIR, MANDIR, BASHCOMPDIR, ZSHCOMPDIR, FISHCOMPDIR, as the
# Makefile sets them; DESTDIR is prepended to each and is not recorded.
set -euo pipefail
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
MANDIR=${MANDIR:-$PREFIX/share/man}
BASHCOMPDIR=${BASHCOMPDIR:-$PREFIX/share/bash-completion/completions}
ZSHCOMPDIR=${ZSHCOMPDIR:-$PREFIX/share/zsh/site-functions}
FISHCOMPDIR=${FISHCOMPDIR:-$PREFIX/share/fish/vendor_completions.d}
MANIFEST=$PREFIX/share/calport/install-manifest

if [ "${1:-}" = --uninstall ]; then
  record="$DESTDIR$MANIFEST"
  if [ ! -f "$record" ]; then
    echo "calport uninstall: no install record at $record (installed with another PREFIX or DESTDIR?)" >&2
    exit 1
  fi
  dirs=()
  while read -r kind path; do
    case "$kind" in
      file)
        if [ -f "$DESTDIR$path" ] || [ -L "$DESTDIR$path" ]; then rm -f "$DESTDIR$path"; echo "removed $DESTDIR$path"
        elif [ -e "$DESTDIR$path" ]; then echo "calport uninstall: $DESTDIR$path is no longer a file; left alone" >&2
        fi ;;
      dir) dirs+=("$path") ;;
    esac
  done < "$record"
  rm -f "$record"
  # Deepest first; a directory someone has since put other files in stays.
  for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
    rmdir "$DESTDIR${dirs[i]}" 2>/dev/null && echo "removed $DESTDIR${dirs[i]}/" || true
  done
  exit 0
fi

stage=${1:?usage: scripts/install.sh STAGE | --uninstall}
[ -x "$stage/bin/calport" ] || { echo "calport install: $stage/bin/calport is missing; run make stage" >&2; exit 1; }

created=() installed=()
# Creates DIR (under DESTDIR) and its missing parents, noting each one created, outermost first.
make_dir() {
  local dir=$1 missing=()
  while [ -n "$dir" ] && [ "$dir" != / ] && [ ! -d "$DESTDIR$dir" ]; do
    missing=("$dir" "${missing[@]}")
    dir=$(dirname "$dir")
  done
  for dir in "${missing[@]}"; do
    mkdir -m 755 "$DESTDIR$dir"
    created+=("$dir")
  done
}
put() { # SOURCE TARGET MODE
  make_dir "$(dirname "$2")"
  install -m "$3" "$1" "$DESTDIR$2"
  installed+=("$2")
  echo "installed $DESTDIR$2"
}

put "$stage/bin/calport" "$BINDIR/calport" 755
for page in "$stage"/man/man1/*; do put "$page" "$MANDIR/man1/$(basename "$page")" 644; done
put "$stage/completions/calport.bash" "$BASHCOMPDIR/calport" 644
put "$stage/completions/_calport" "$ZSHCOMPDIR/_calport" 644
put "$stage/completions/calport.fish" "$FISHCOMPDIR/calport.fish" 644

[ -n "${NO_MANIFEST:-}" ] && exit 0
make_dir "$(dirname "$MANIFEST")"
record="$DESTDIR$MANIFEST"
{
  # A second install over the first keeps the first's record of directories it created.
  [ -f "$record" ] && grep '^dir ' "$record" || true
  for d in "${created[@]}"; do echo "dir $d"; done
  [ -f "$record" ] && grep '^file ' "$record" || true
  for f in "${installed[@]}"; do echo "file $f"; done
} | awk '!seen[$0]++' > "$record.tmp"
mv "$record.tmp" "$record"
echo "recorded in $record (make uninstall PREFIX=$PREFIX${DESTDIR:+ DESTDIR=$DESTDIR} removes these)"
