# Helpers for the tests over tests/netns-nodes (3 Kubo nodes, each in its own
# network namespace, with cut/heal/kill): discover.bats, sync-netns.bats.
NN="$TOP/tests/netns-nodes"

# netns_need_root: setup_file's first check (ip netns needs root).
netns_need_root() {
	[ "$(id -u)" = 0 ] || { echo "$(basename "$BATS_TEST_FILENAME") needs root (ip netns)" >&2; return 1; }
}

# wait_until SECONDS CMD...: poll every 0.1 s; prints the milliseconds taken.
# A caller scales SECONDS by WANDA_TEST_SLOW where the bound is tight.
wait_until() {
	local limit=$1 t0 now
	shift
	t0=$(date +%s%3N)
	while ! "$@"; do
		now=$(date +%s%3N)
		[ $((now - t0)) -lt $((limit * 1000)) ] || { echo "timeout after ${limit}s: $*" >&2; return 1; }
		sleep 0.1
	done
	echo $(($(date +%s%3N) - t0))
}
