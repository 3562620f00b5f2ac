#!/usr/bin/env bash
# The REGISTER benchmark against Kamailio (reference) and our PBX in one run, same SIPp load,
# one after the other so they never share the CPU. Prints {"kamailio": …, "pbx": …} as JSON.
# Usage: bench/register/compare.sh   (RATES, DURATION, … as in run.sh; each target gets the same steps)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export RATES="${RATES:-4000 6000 8000 10000 12000 14000}"
kam="$("$HERE/run.sh" kamailio)"
sleep 3
pbx="$("$HERE/pbx.sh")"
printf '{"kamailio": %s,\n "pbx": %s}\n' "$kam" "$pbx"
