#!/usr/bin/env bats
# wanda-ipns between two Kubo nodes (tests/ipfs-node: Routing.Type dht over
# loopback): the name published on node 1 resolves on node 2 within the
# debounce period, first publish and update. The publish-to-resolve time is
# printed with the results ("# ...").
load helper
load ipfs
load ipns

DEBOUNCE_S=10

setup_file() { ipfs_start 2; }
teardown_file() { ipfs_stop; }

setup() { wanda_fresh_home; }

now_ms() { date +%s%3N; }

# publish_and_resolve ROOT: wanda-ipns publish on node 1, then wanda-ipns
# resolve on node 2 until it gives ROOT; sets name, publish_ms, resolve_ms
# (from the start of the publish) or fails after the debounce period.
publish_and_resolve() {
	local root=$1 t0 got=
	t0=$(now_ms)
	run --separate-stderr env WANDA_API="$(ipfs_api 1)" wanda-ipns publish --debounce "${DEBOUNCE_S}s"
	assert_success
	publish_ms=$(($(now_ms) - t0))
	assert_equal "$(jq -r .published <<<"$output")" true
	assert_equal "$(jq -r .cid <<<"$output")" "$root"
	name=$(jq -r .name <<<"$output")
	while [ $(($(now_ms) - t0)) -lt $((DEBOUNCE_S * 1000)) ]; do
		got=$(WANDA_API="$(ipfs_api 2)" wanda-ipns resolve --nocache --timeout 5s "$name" 2>/dev/null |
			jq -r .cid) || got=
		[ "$got" != "$root" ] || break
		sleep 0.2
	done
	resolve_ms=$(($(now_ms) - t0))
	[ "$got" = "$root" ] || fail "node 2 resolved $name to '$got', not $root, within ${DEBOUNCE_S}s"
}

@test "publish on node 1, resolve on node 2 within the debounce; an update too" {
	root=$(new_root a true)
	publish_and_resolve "$root"
	echo "# first publish: wanda-ipns publish ${publish_ms} ms, publish-to-resolve on node 2 ${resolve_ms} ms" >&3
	first=$name
	# node 2 is another node: it does not hold the key
	run ipfs_rpc 2 key/list
	refute_output --partial "$name"
	# an update, after the debounce period: the higher sequence wins on node 2
	sleep "$DEBOUNCE_S"
	root2=$(new_root b true)
	publish_and_resolve "$root2"
	echo "# update: wanda-ipns publish ${publish_ms} ms, publish-to-resolve on node 2 ${resolve_ms} ms" >&3
	assert_equal "$name" "$first"
	assert_equal "$(ipfs_rpc 2 name/resolve "arg=/ipns/$name&nocache=true" | jq -r .Path)" "/ipfs/$root2"
}
