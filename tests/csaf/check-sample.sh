#!/bin/sh
# ctest csaf_validator: renders and publishes sample advisories with csaf_render_sample into a
# temporary folder, then validates every CSAF document it wrote (the rendered ones and the
# provider's copies) with validate.mjs (strict schema + mandatory tests).
# usage: check-sample.sh PATH/TO/csaf_render_sample
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/@secvisogram/csaf-validator-lib" ]; then
  echo "check-sample: run 'npm ci' in tests/csaf (scripts/install-deps does it)" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" "$dir" > "$dir/list"
# shellcheck disable=SC2046
node "$here/validate.mjs" $(cat "$dir/list") "$dir"/data/csaf/*/20*/*.json
