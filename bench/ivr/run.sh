#!/usr/bin/env bash
# IVR benchmark: inbound switchboard calls per second (carrier SIPp on 127.0.0.2 -> PBX IVR ->
# RFC 4733 digits -> extension SIPp). See run.ts for the knobs and the JSON it prints:
#   bench/ivr/run.sh > ivr.json
#   RATES="50 100" DURATION=10 bench/ivr/run.sh
# Raises the open-files limit for the PBX and SIPp (every call holds RTP sockets). SIPp's
# play_pcap_audio sends through a raw socket: run as root (or give sipp CAP_NET_RAW).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$HERE/../.."
exec node --import tsx "$HERE/run.ts" "$@"
