#!/usr/bin/env bash
# Regenerate docs/report.png: the HTML report (`ganlogs report`) of five runs of the bundled
# labelled corpus (fixtures/labelled, one per label), rendered by headless Chromium
# (apt-get install chromium).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/sweep"
for d in digits_bce_mm_adam_strongD_000 digits_bce_ns_strongD_002 dirac_bce_ns_alt_001 \
         ring8_bce_ns_r1_adam_000 ring8_wgan_sgd_looseclip_000; do
    cp -r "$repo/fixtures/labelled/$d" "$tmp/sweep/$d"
done
cd "$tmp"
ganlogs report sweep -o report.html --title "ganlogs report: five runs of the labelled corpus" -j 1 || [ $? -eq 1 ]
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$tmp/profile" --window-size=1200,1700 \
    --screenshot="$repo/docs/report.png" "file://$tmp/report.html" 2>/dev/null
echo "wrote $repo/docs/report.png"
