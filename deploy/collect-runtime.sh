#!/bin/sh
# Collects what the runtime image needs from a built tree (after `npm run build`) into OUT:
# the root and workspace manifests, every workspace's compiled dist/ (without declarations and
# build info), the vision prompts that libs/vision reads at run time from ../src/prompts, the
# e-mail templates services/notifications reads from ../src/templates, and this directory's
# entry point. The Dockerfile runs it in the build stage; a test runs it on
# the developer's tree, so what the image copies is checked without a container engine.
#
# usage: collect-runtime.sh SOURCE_ROOT OUT
set -eu

if [ $# -ne 2 ]; then
  echo 'usage: collect-runtime.sh SOURCE_ROOT OUT' >&2
  exit 64
fi
src=$(CDPATH='' cd -- "$1" && pwd)
out=$2
mkdir -p "$out"
out=$(CDPATH='' cd -- "$out" && pwd)

cp "$src/package.json" "$src/package-lock.json" "$out/"

missing=''
for dir in "$src"/libs/* "$src"/services/* "$src"/apps/*; do
  [ -f "$dir/package.json" ] || continue
  rel=${dir#"$src"/}
  mkdir -p "$out/$rel"
  cp "$dir/package.json" "$out/$rel/"
  if [ ! -d "$dir/dist" ]; then
    missing="$missing $rel"
    continue
  fi
  cp -R "$dir/dist" "$out/$rel/dist"
done
if [ -n "$missing" ]; then
  echo "collect-runtime: no dist/ in:$missing (run npm run build first)" >&2
  exit 1
fi

# Declarations and incremental build info are for compilers, not for the image.
find "$out" -type f \( -name '*.d.ts' -o -name '*.d.ts.map' -o -name '*.tsbuildinfo' \) -exec rm -f {} +

# libs/vision resolves prompts as <package>/src/prompts/<version>.md from dist/ at run time.
mkdir -p "$out/libs/vision/src"
cp -R "$src/libs/vision/src/prompts" "$out/libs/vision/src/prompts"

# services/notifications reads its e-mail templates from <package>/src/templates the same way.
mkdir -p "$out/services/notifications/src"
cp -R "$src/services/notifications/src/templates" "$out/services/notifications/src/templates"

mkdir -p "$out/deploy"
cp "$src/deploy/docker-entrypoint.sh" "$out/deploy/docker-entrypoint.sh"
chmod 0755 "$out/deploy/docker-entrypoint.sh"
