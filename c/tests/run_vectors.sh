#!/bin/sh
# Every vector through the adapter, then the adapter's own exit status: a leak or a memory
# error that valgrind or the sanitizers report when the adapter exits fails the test too,
# though every reply before it was right.
# usage: run_vectors.sh RUNNER VECTORS "WRAPPER" ADAPTER
set -eu
runner=$1
vectors=$2
wrapper=$3
adapter=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/adapter.sh" <<ADAPTER
#!/bin/sh
$wrapper "$adapter"
echo \$? >> "$dir/status"
ADAPTER
"$runner" conformance --vectors "$vectors" --quiet --timeout 60 --adapter "sh $dir/adapter.sh"
# the runner closes the adapter's input at the end: give it the time to exit
i=0
while [ ! -s "$dir/status" ] && [ "$i" -lt 100 ]; do
  sleep 0.1
  i=$((i + 1))
done
echo "adapter exit status: $(tr '\n' ' ' < "$dir/status" 2>/dev/null || echo none)"
[ -s "$dir/status" ] && ! grep -qv '^0$' "$dir/status"
