#!/usr/bin/env bash
# Lays out what `make install` and `make deb` copy, from the release binary:
#   STAGE/bin/calport                 the binary, without its symbol tables
#   STAGE/man/man1/*.1.gz             calport(1) and a page per subcommand (scripts/manual.sh)
#   STAGE/completions/calport.bash, _calport, calport.fish
#                                     from calport --generate-completion-script
#   scripts/stage.sh CALPORT STAGE
set -euo pipefail
calport=$1 stage=$2
root=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$stage"
mkdir -p "$stage/bin" "$stage/man/man1" "$stage/completions"
cp "$calport" "$stage/bin/calport"
# A Debian package ships binaries stripped; the build folder keeps the unstripped one.
if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$stage/bin/calport"; fi

bin="$stage/bin/calport"
"$bin" --generate-completion-script bash > "$stage/completions/calport.bash"
"$bin" --generate-completion-script zsh > "$stage/completions/_calport"
"$bin" --generate-completion-script fish > "$stage/completions/calport.fish"

"$root/scripts/manual.sh" "$bin" "$stage/man/man1"
# Compressed without a name or time stamp in the header, so equal pages are equal files.
gzip -9n "$stage"/man/man1/*.1
