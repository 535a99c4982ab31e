#!/bin/sh
# Run the example client against the echo peer on a Unix socket: both messages come
# back and the exchange ends cleanly.
# usage: run_example.sh ECHO "WRAPPER" CLIENT
set -eu
echo_peer=$1
wrapper=$2
client=$3
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
"$echo_peer" --listen "$dir/echo.sock" --checksum > "$dir/listening" &
pid=$!
i=0
while ! grep -q '^listening' "$dir/listening" 2>/dev/null; do
  i=$((i + 1))
  [ "$i" -lt 100 ] || { echo "the echo peer did not start"; exit 1; }
  sleep 0.05
done
# shellcheck disable=SC2086 # the wrapper is a command line
$wrapper "$client" "$dir/echo.sock" "hello" "framewire" > "$dir/out"
cat "$dir/out"
printf 'message type 0x40: hello\nmessage type 0x40: framewire\n' | cmp - "$dir/out"
