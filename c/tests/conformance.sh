#!/usr/bin/env bash
# The conformance runner over Framewire C: adapter mode, then live mode against the echo
# peer started with every framing and limits some vector is written for, in the four
# ways FW-CNF-32 asks of an echo peer: listening and connecting, over TCP and over a Unix
# socket. The deadline vectors (live-only) get their own runs, with the echo peer's
# deadlines those the vectors are written for, in --live-connect mode as FW-CNF-28 asks;
# the other runs keep the default deadlines, so that a loaded machine cannot turn a slow
# byte-by-byte delivery into a timeout. The live runs mostly wait on sockets, so they run
# side by side.
#
# usage: conformance.sh RUNNER ADAPTER ECHO
set -euo pipefail
runner=$1
adapter=$2
echo_peer=$3
deadlines=handshake_ms=1000,frame_ms=300
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$runner" conformance --adapter "$adapter" --quiet --report-json "$work/adapter.json"
python3 - "$work/adapter.json" adapter <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = r["counts"] if "counts" in r else r.get("summary", {})
print(f"{sys.argv[2]}: {json.dumps(c, sort_keys=True)}")
PY

# Every (framing, max frame, max message) a decode or session vector is written for.
configs=$(python3 - <<'PY'
import glob, json
seen = set()
for path in sorted(glob.glob("vectors/*.json")):
    for case in json.load(open(path)).get("cases", []):
        if case["kind"] != "encode":
            lim = case["limits"]
            seen.add((case["framing"], lim["max_frame_size"], lim["max_message_size"]))
for framing, frame, message in sorted(seen):
    print(framing, frame, message)
PY
)

live() { # index framing frame message [deadlines]
  local i=$1 framing=$2 frame=$3 message=$4
  local peer=("$echo_peer" --framing "$framing" --max-frame-size "$frame"
              --max-message-size "$message")
  local common=(--report-json "$work/live-$i.json")
  if [ "${5:-}" = deadlines ]; then
    peer+=(--handshake-ms 1000 --frame-ms 300)
    common+=(--live-deadlines "$deadlines" --only live-only)
  fi
  local how failed=0
  case $((i % 4)) in
    0) how="listen tcp"
       "${peer[@]}" --listen 127.0.0.1:0 > "$work/listen-$i" 2>"$work/peer-$i.err" &
       until grep -q '^listening' "$work/listen-$i" 2>/dev/null; do sleep 0.05; done
       "$runner" conformance --live-connect "$(sed -n 's/^listening //p' "$work/listen-$i")" "${common[@]}" > "$work/runner-$i" 2>&1 || failed=1
       kill %% ;;
    1) how="connect unix"
       "$runner" conformance --live-serve --unix "$work/serve-$i.sock" \
         --live-peer "${peer[*]} --connect {address}" "${common[@]}" > "$work/runner-$i" 2>&1 || failed=1 ;;
    2) how="listen unix"
       "${peer[@]}" --listen "$work/listen-$i.sock" > "$work/listen-$i" 2>"$work/peer-$i.err" &
       until grep -q '^listening' "$work/listen-$i" 2>/dev/null; do sleep 0.05; done
       "$runner" conformance --unix "$work/listen-$i.sock" "${common[@]}" > "$work/runner-$i" 2>&1 || failed=1
       kill %% ;;
    3) how="connect tcp"
       "$runner" conformance --live-serve 127.0.0.1:0 \
         --live-peer "${peer[*]} --connect {address}" "${common[@]}" > "$work/runner-$i" 2>&1 || failed=1 ;;
  esac
  if [ "$failed" -ne 0 ]; then
    echo "live $framing $frame/$message ($how): the runner failed:"
    grep -v '^[┏┃┡│└]' "$work/runner-$i"
    cat "$work/peer-$i.err" 2>/dev/null || true
    return 1
  fi
  python3 - "$work/live-$i.json" "live $framing $frame/$message ${5:-} ($how)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
counts = {}
for case in r["cases"]:
    if case["outcome"] != "not-applicable":
        key = f'{case["level"]} {case["outcome"]}'
        counts[key] = counts.get(key, 0) + 1
print(f"{sys.argv[2]}: {json.dumps(counts, sort_keys=True)}")
PY
}

i=0
pids=()
outs=()
while read -r framing frame message; do
  live "$i" "$framing" "$frame" "$message" > "$work/out-$i" 2>&1 &
  pids+=($!)
  outs+=("$work/out-$i")
  i=$((i + 1))
done <<< "$configs"
# the deadline runs listen (modes 0 and 2: TCP and Unix), as FW-CNF-28 wants
i=$(( (i + 3) / 4 * 4 ))
for framing in length-prefixed delimited; do
  live "$i" "$framing" 1048576 16777216 deadlines > "$work/out-$i" 2>&1 &
  pids+=($!)
  outs+=("$work/out-$i")
  i=$((i + 2))
done
status=0
for j in "${!pids[@]}"; do
  if ! wait "${pids[$j]}"; then
    status=1
    echo "FAILED:"
  fi
  cat "${outs[$j]}"
done
exit $status
