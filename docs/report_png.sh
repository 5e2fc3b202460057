#!/usr/bin/env bash
# Regenerate docs/report.png: the HTML report (`ganlogs report`) of four bundled fixtures,
# rendered by headless Chromium (apt-get install chromium).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sweep"
for d in csv/wide tensorboard/torch_nan_inf text/dcgan_examples tensorboard/torch_default; do
    cp -r "$repo/fixtures/$d" "$tmp/sweep/$(echo "$d" | tr / _)"
done
cd "$tmp"
ganlogs report sweep -o report.html --title "ganlogs report: four bundled fixtures" || [ $? -eq 1 ]
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$tmp/profile" --window-size=1200,1560 \
    --screenshot="$repo/docs/report.png" "file://$tmp/report.html" 2>/dev/null
echo "wrote $repo/docs/report.png"
