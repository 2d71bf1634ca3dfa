#!/bin/sh
# Extreme Tux Racer's 42 terrain photographs (Debian's extremetuxracer-data, 256 x 256 each) as a
# folder in DTD's layout, one photograph per class: a photographic bank independent of GIMP's
# (docs/results/photographic-banks.md, "An independent photographic bank").
#
# usage: experiments/terrain-bank.sh OUT [SRC]   (SRC: default /usr/share/games/etr/terrains)
# then:  build/reff train --textures dtd --texture-dir OUT --colour-jitter true ...
#        (classes in name order; the first 10 are the digit textures)
set -eu
[ $# -ge 1 ] || { echo "usage: $0 OUT [SRC]" >&2; exit 2; }
out=$1
src=${2:-/usr/share/games/etr/terrains}
[ -d "$src" ] || { echo "$src: not found (install extremetuxracer-data)" >&2; exit 1; }
count=0
for photo in "$src"/*.png; do
  [ -f "$photo" ] || continue
  class=$(basename "$photo" .png)
  mkdir -p "$out/images/$class"
  cp "$photo" "$out/images/$class/"
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "$src: no .png photographs" >&2; exit 1; }
echo "$count classes in $out/images"
