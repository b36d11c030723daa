#!/usr/bin/env bash
# Writes calport's man pages (calport.1, calport.convert.1, ...) from the command definitions:
# swift-argument-parser's generate-manual reads them from the built binary
# (--experimental-dump-help), then the ENVIRONMENT, FILES and EXIT STATUS sections are replaced
# by calport's own tables (calport --manual-section, Sources/calport/Manual.swift).
#   scripts/manual.sh CALPORT OUTDIR
# generate-manual is built from the swift-argument-parser that Package.resolved pins (the copy
# SwiftPM checked out in $SCRATCH), as a small debug build of its own: its package plugin
# would build all of calport a second time in release mode.
set -euo pipefail
calport=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
SWIFT=${SWIFT:-swift} SCRATCH=${SCRATCH:-.build}
cd "$root"

parser="$SCRATCH/checkouts/swift-argument-parser"
[ -f "$parser/Package.swift" ] || { echo "manual.sh: $parser is missing; build calport first" >&2; exit 1; }
"$SWIFT" build --package-path "$parser" --scratch-path "$SCRATCH/tools" --product generate-manual >&2
tool="$("$SWIFT" build --package-path "$parser" --scratch-path "$SCRATCH/tools" --show-bin-path)/generate-manual"

# The date of the source (SOURCE_DATE_EPOCH, else the last commit), so pages are reproducible.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
elif date=$(git -C "$root" log -1 --format=%cs 2>/dev/null) && [ -n "$date" ]; then :
else date=$(date -u +%F); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tool" "$calport" --multi-page --date "$date" --output-directory "$work"

"$calport" --manual-section exit-status > "$work/exit.mdoc"
{ "$calport" --manual-section environment; "$calport" --manual-section files; cat "$work/exit.mdoc"; } > "$work/root.mdoc"

mkdir -p "$out"
for page in "$work"/*.1; do
  name=$(basename "$page")
  sections="$work/exit.mdoc"
  [ "$name" = calport.1 ] && sections="$work/root.mdoc"
  # generate-manual's EXIT STATUS only says "0 on success, >0 on error": put ours in its place.
  awk -v sections="$sections" '
    /^\.Sh / { skipping = 0 }
    # A blank line between paragraphs of a discussion is a paragraph break in mdoc.
    /^$/ && !skipping { print ".Pp"; next }
    /^\.Sh "?EXIT STATUS"?$/ { while ((getline line < sections) > 0) print line; skipping = 1; replaced = 1; next }
    !skipping { print }
    /^\.Sh "?SEE ALSO"?$/ { seealso = 1 }
    END {
      if (!replaced) { print "manual.sh: no EXIT STATUS section in " FILENAME > "/dev/stderr"; exit 1 }
      # A subcommand page points back to calport(1), where the environment and files are.
      if (!seealso && root != "yes") { print ".Sh \"SEE ALSO\""; print ".Xr calport 1" }
    }
  ' root="$([ "$name" = calport.1 ] && echo yes || echo no)" "$page" > "$out/$name"
done
