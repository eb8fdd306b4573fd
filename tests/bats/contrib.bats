#!/usr/bin/env bats
# contrib/: the Kubo set-up of contrib/setup-pi (contrib/setup-kubo) against
# the real Kubo binary, contrib/systemd/ipfs.service starting that repo, and
# every unit of contrib/systemd through systemd-analyze verify.
load helper

setup_file() {
	IPFS=$("$TOP/tests/kubo-build")
	export IPFS
}

setup() {
	export IPFS_PATH="$BATS_TEST_TMPDIR/ipfs"
}

teardown() {
	[ -z "${DAEMON_PID:-}" ] || { kill "$DAEMON_PID" 2>/dev/null; wait "$DAEMON_PID" 2>/dev/null || true; }
}

# cfg KEY: the repo's value of KEY, as `ipfs config KEY` prints it
cfg() { "$IPFS" config "$1"; }

@test "setup-kubo: lowpower, 50-100 connections, StorageMax 10GB, pubsub, RPC and gateway on loopback" {
	run "$TOP/contrib/setup-kubo" "$IPFS"
	assert_success
	assert_equal "$(cfg Swarm.ConnMgr.LowWater)" 50
	assert_equal "$(cfg Swarm.ConnMgr.HighWater)" 100
	assert_equal "$(cfg Datastore.StorageMax)" 10GB
	assert_equal "$(cfg Addresses.API)" /ip4/127.0.0.1/tcp/5001
	assert_equal "$(cfg Addresses.Gateway)" /ip4/127.0.0.1/tcp/8080
	assert_equal "$(cfg Pubsub.Enabled)" true
	# what the lowpower profile sets, and setup-kubo leaves
	assert_equal "$(cfg Routing.Type)" autoclient
	assert_equal "$(cfg Swarm.ConnMgr.GracePeriod)" 1m0s
	assert_equal "$(cfg AutoNAT.ServiceMode)" disabled
}

@test "setup-kubo again: the same repo (no second init), the same values" {
	"$TOP/contrib/setup-kubo" "$IPFS"
	id=$(cfg Identity.PeerID)
	"$IPFS" config --json Swarm.ConnMgr.HighWater 7
	run "$TOP/contrib/setup-kubo" "$IPFS"
	assert_success
	assert_equal "$(cfg Identity.PeerID)" "$id"
	assert_equal "$(cfg Swarm.ConnMgr.HighWater)" 100
}

@test "setup-kubo without IPFS_PATH or without Kubo: usage 64, unavailable 69" {
	IPFS_PATH= run "$TOP/contrib/setup-kubo" "$IPFS"
	assert_failure 64
	run "$TOP/contrib/setup-kubo" "$BATS_TEST_TMPDIR/no-such-ipfs"
	assert_failure 69
	assert_output --partial 'no-such-ipfs: not found'
}

@test "contrib/systemd/ipfs.service's ExecStart line runs the repo setup-kubo made" {
	"$TOP/contrib/setup-kubo" "$IPFS"
	unit=$TOP/contrib/systemd/ipfs.service
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	[[ $exec_start == "/usr/local/bin/ipfs daemon "* ]] || fail "ExecStart: $exec_start"
	[[ $exec_start == *" --enable-gc"* ]] || fail "no GC to keep StorageMax: $exec_start"
	grep -qx 'Environment=IPFS_PATH=/var/lib/ipfs' "$unit"
	# The machine's 4001/5001/8080 may be taken, and no network is reachable
	# here: same repo, but every listener on a free loopback port, no bootstrap.
	"$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/0
	"$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/0
	"$IPFS" config --json Addresses.Swarm '["/ip4/127.0.0.1/tcp/0"]'
	"$IPFS" bootstrap rm --all >/dev/null
	# shellcheck disable=SC2086
	setsid ${exec_start/\/usr\/local\/bin\/ipfs/$IPFS} >"$BATS_TEST_TMPDIR/daemon.log" 2>&1 3>&- &
	DAEMON_PID=$!
	for _ in $(seq 600); do
		grep -q '^Daemon is ready' "$BATS_TEST_TMPDIR/daemon.log" && break
		kill -0 "$DAEMON_PID" || fail "the daemon exited: $(cat "$BATS_TEST_TMPDIR/daemon.log")"
		sleep 0.1
	done
	api=$(sed -E 's#^/ip4/([^/]+)/tcp/([0-9]+).*#http://\1:\2#' "$IPFS_PATH/api")
	run curl -sf -X POST "$api/api/v0/config?arg=Datastore.StorageMax"
	assert_success
	assert_equal "$(jq -r .Value <<<"$output")" 10GB
	run curl -sf -X POST "$api/api/v0/config?arg=Swarm.ConnMgr.HighWater"
	assert_equal "$(jq -r .Value <<<"$output")" 100
	run curl -sf -X POST "$api/api/v0/id"
	assert_equal "$(jq -r .ID <<<"$output")" "$(cfg Identity.PeerID)"
	run "$IPFS" shutdown
	assert_success
	wait "$DAEMON_PID"
	DAEMON_PID=
}

# units DIR: contrib/systemd's units in DIR, their programs at this
# checkout's build and the built Kubo (they name /usr/bin/wanda-* and
# /usr/local/bin/ipfs, which this machine need not have).
units() {
	local u
	mkdir -p "$1"
	for u in "$TOP"/contrib/systemd/*; do
		sed "s#/usr/bin/wanda-#$WANDA_BIN/wanda-#g; s#/usr/local/bin/ipfs#$IPFS#g" "$u" >"$1/${u##*/}"
	done
}

@test "every unit in contrib/systemd passes systemd-analyze verify, without a warning" {
	command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (contrib/install-deps installs systemd)"
	units "$BATS_TEST_TMPDIR/units"
	n=$(ls "$BATS_TEST_TMPDIR/units" | wc -l)
	[ "$n" -ge 10 ] || fail "only $n units"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR"/units/*
	assert_success
	assert_output ''
}

@test "every wanda service bounds its memory: one MemoryMax= of at most 256M, a comment above saying why" {
	n=0
	for u in "$TOP"/contrib/systemd/wanda-*.service; do
		[ "$(grep -c '^MemoryMax=' "$u")" -eq 1 ] || fail "${u##*/}: not one MemoryMax="
		v=$(sed -n 's/^MemoryMax=\([0-9]*\)M$/\1/p' "$u")
		[ -n "$v" ] || fail "${u##*/}: MemoryMax= not in M: $(grep '^MemoryMax=' "$u")"
		[ "$v" -le 256 ] || fail "${u##*/}: MemoryMax=${v}M, over the 256M bench/memory allows for"
		# the comment lines right above it name the measurement
		awk '/^#/ { c = c $0 } !/^#/ { if (/^MemoryMax=/) print c; c = "" }' "$u" | grep -q 'bench/memory' ||
			fail "${u##*/}: no comment above MemoryMax= giving the measurement (bench/memory)"
		n=$((n + 1))
	done
	[ "$n" -ge 10 ] || fail "only $n units"
}

@test "the unit check catches a bad key and a missing program" {
	units "$BATS_TEST_TMPDIR/units"
	sed -i 's/^Restart=/Restrat=/' "$BATS_TEST_TMPDIR/units/ipfs.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/ipfs.service"
	assert_output --partial "Unknown key 'Restrat'"
	rm "$BATS_TEST_TMPDIR/units/ipfs.service"
	sed "s#/usr/bin/wanda-#/nonexistent/wanda-#g" "$TOP/contrib/systemd/wanda-gc.service" \
		>"$BATS_TEST_TMPDIR/units/wanda-gc.service"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/wanda-gc.service"
	assert_failure
	assert_output --partial 'is not executable'
}
