#!/usr/bin/env bats
# wanda-ipns against a real IPFS node: the dedicated key, publish and
# resolve of the node root, the debounce of a burst, failures retried and
# never fatal, republish before expiry.
load helper
load ipfs
load one-node
load ipns

setup() {
	wanda_fresh_home
	echo "ipns_allow_offline = yes" >"$WANDA_CONF"
}

# The daemon's own answer for a name (not through WANDA's client).
node_resolve() {
	ipfs_rpc 1 name/resolve "arg=/ipns/$1&nocache=true" | jq -r .Path
}

@test "key: a dedicated ed25519 key, created once" {
	run wanda-ipns key
	assert_success
	assert_equal "$(jq -r '.key, .created' <<<"$output" | xargs)" "wanda true"
	name=$(jq -r .name <<<"$output")
	refute [ "$name" = "$(ipfs_peer_id 1)" ]
	run wanda-ipns key
	assert_success
	assert_equal "$(jq -r '.name, .created' <<<"$output" | xargs)" "$name false"
	# one key of that name
	assert_equal "$(ipfs_rpc 1 key/list | jq -r '[.Keys[] | select(.Name == "wanda") | .Id] | unique | .[]')" "$name"
	run wanda-ipns --key other key
	assert_success
	refute_output --partial "$name"
}

@test "publish: the node resolves the key's name to the current root" {
	root=$(new_root a)
	run wanda-ipns publish
	assert_success
	name=$(jq -r .name <<<"$output")
	assert_equal "$(jq -r '.published, .cid, .sequence' <<<"$output" | xargs)" "true $root 1"
	assert_equal "$(node_resolve "$name")" "/ipfs/$root"
	run wanda-ipns resolve
	assert_success
	assert_equal "$(jq -r .cid <<<"$output")" "$root"
	# an explicit CID, lifetime and ttl
	other=$(new_root b)
	run wanda-ipns publish --lifetime 2h --ttl 30s "$other"
	assert_success
	assert_equal "$(jq -r '.lifetime, .ttl, .sequence' <<<"$output" | xargs)" "7200s 30s 2"
	assert_equal "$(node_resolve "$name")" "/ipfs/$other"
	run wanda-ipns status
	assert_success
	assert_equal "$(jq -r '.name, .value, .sequence, .pending' <<<"$output" | xargs)" \
		"$name /ipfs/$other 2 false"
}

@test "publish --debounce: a burst of 100 captures gives one or two publishes, the last root wins" {
	roots=()
	for i in $(seq 1 100); do roots+=("$(new_root "burst $i")"); done
	for i in $(seq 0 99); do jq -n --arg c "${roots[$i]}" '{cid:$c}' >"$BATS_TEST_TMPDIR/root$i.json"; done
	out=$BATS_TEST_TMPDIR/publish.jsonl
	# the period, scaled by WANDA_TEST_SLOW (100 program starts under qemu take longer than 30 s)
	period=$(slow_ms 30000)
	t0=$SECONDS
	# a capture every few ms, each one rebuilding the root and asking to publish
	for i in $(seq 0 99); do
		cp "$BATS_TEST_TMPDIR/root$i.json" "$WANDA_HOME/state/root.json.tmp"
		mv "$WANDA_HOME/state/root.json.tmp" "$WANDA_HOME/state/root.json"
		wanda-ipns publish --debounce "${period}ms" --background >>"$out" 3>&- &
	done
	wait
	burst=$((SECONDS - t0))
	echo "# burst of 100 took ${burst}s" >&3
	# the burst itself never waited for a publish
	[ "$burst" -lt $((period / 1000)) ]
	# wait for the publisher: no lock holder, no marker
	for _ in $(seq 1 $((period / 50))); do
		if flock -n "$WANDA_HOME/state/ipns.lock" true && [ ! -e "$WANDA_HOME/state/ipns.pending" ]; then
			break
		fi
		sleep 0.1
	done
	flock -n "$WANDA_HOME/state/ipns.lock" true
	n=$(jq -s 'map(select(.published == true)) | length' "$out")
	echo "# $n publishes for 100 roots" >&3
	[ "$n" -ge 1 ]
	[ "$n" -le 2 ]
	# and never two within one period
	if [ "$n" -eq 2 ]; then
		jq -s -e --argjson p "$period" 'map(select(.published) | .published_ms) | .[1] - .[0] >= $p' "$out"
	fi
	assert_equal "$(jq -s 'map(select(.published == false)) | length' "$out")" 0
	assert_equal "$(wanda-ipns status | jq -r '.sequence, .pending' | xargs)" "$n false"
	name=$(wanda-ipns status | jq -r .name)
	assert_equal "$(node_resolve "$name")" "/ipfs/${roots[99]}"
}

@test "publish --debounce: a second burst one period later publishes again, at most once per period" {
	# the period (times WANDA_TEST_SLOW): long enough to start the second call within it
	period=$(slow_ms 3000)
	r1=$(new_root p1)
	run wanda-ipns publish --debounce "${period}ms"
	assert_success
	p1=$(jq -r .published_ms <<<"$output")
	t1=$(wanda-ipns status | jq -r .published_at)
	r2=$(new_root p2)
	# the period has not run out: this caller publishes only at its end
	run wanda-ipns publish --debounce "${period}ms"
	assert_success
	assert_equal "$(jq -r .cid <<<"$output")" "$r2"
	p2=$(jq -r .published_ms <<<"$output")
	[ $((p2 - p1)) -ge "$period" ] || fail "published again $((p2 - p1)) ms after the first, period $period ms"
	assert_equal "$(wanda-ipns status | jq -r .sequence)" 2
	refute [ "$(wanda-ipns status | jq -r .published_at)" = "$t1" ]
	# nothing new: nothing published
	run wanda-ipns publish --debounce "${period}ms"
	assert_success
	assert_output ""
	assert_equal "$(wanda-ipns status | jq -r .sequence)" 2
}

@test "publish failures are reported and retried, never lost" {
	root=$(new_root down)
	dead=http://127.0.0.1:$(ipfs_dead_port)
	run env WANDA_API="$dead" wanda-ipns publish --debounce 500ms --retries 2 --timeout 2s
	assert_failure 75
	# three attempts, each reported
	assert_equal "$(grep -c '"published":false' <<<"$output")" 3
	run wanda-ipns status
	assert_equal "$(jq -r .pending <<<"$output")" true
	assert_output --partial last_error
	# the daemon is back: the republish timer catches up
	run wanda-ipns republish
	assert_success
	assert_equal "$(jq -r '.republished, .cid' <<<"$output" | xargs)" "true $root"
	assert_equal "$(wanda-ipns status | jq -r .pending)" false
}

@test "republish: nothing while the record is fresh, then before it runs out" {
	root=$(new_root fresh)
	wanda-ipns publish --lifetime 1h >/dev/null
	run wanda-ipns republish
	assert_success
	assert_equal "$(jq -r .republished <<<"$output")" false
	[ "$(jq .expires_in_s <<<"$output")" -gt 3000 ]
	run wanda-ipns --lifetime 1h republish --before 2h
	assert_success
	assert_equal "$(jq -r '.republished, .sequence' <<<"$output" | xargs)" "true 2"
	name=$(jq -r .name <<<"$output")
	assert_equal "$(node_resolve "$name")" "/ipfs/$root"
}

@test "status needs no daemon; usage errors" {
	WANDA_API=http://127.0.0.1:1 run wanda-ipns status
	assert_success
	assert_equal "$(jq -r '.key, .sequence, .pending' <<<"$output" | xargs)" "wanda 0 false"
	run wanda-ipns frobnicate
	assert_failure 64
	run wanda-ipns --background publish
	assert_failure 64
	run wanda-ipns --lifetime soon publish
	assert_failure 64
	run wanda-ipns publish
	assert_failure 66
}
