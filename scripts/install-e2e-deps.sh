#!/usr/bin/env bash
# Installs what the end-to-end suite (npm run e2e) needs from Debian when it is missing: chromium (driven
# by playwright-core, no browser download) and prometheus (a real server scraping the local mesh).
# Runs before `npm run e2e` (the pree2e script), so a fresh clone and .ci/run need nothing by hand.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  echo "npm run e2e needs ${need[*]} (Debian packages) and cannot install them: not root and no sudo." >&2
  echo "Install them with: sudo apt-get install -y chromium prometheus" >&2
  exit 1
fi
echo "installing ${need[*]} (apt-get install -y chromium prometheus, as needed)"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
