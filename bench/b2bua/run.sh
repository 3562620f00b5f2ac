#!/usr/bin/env bash
# B2BUA call-rate benchmark (see run.ts for the knobs and the JSON it prints):
#   bench/b2bua/run.sh pbx         through the PBX of this checkout (started and stopped by it)
#   bench/b2bua/run.sh selfcheck   SIPp against SIPp stand-ins, no PBX (checks the harness)
#   RATES="100 200" DURATION=10 bench/b2bua/run.sh pbx > b2bua.json
# Raises the open-files limit for the PBX and SIPp processes (every call holds RTP sockets).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$HERE/../.."
exec node --import tsx "$HERE/run.ts" "$@"
