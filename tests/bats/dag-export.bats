#!/usr/bin/env bats
# WANDA's CAR writer against a real IPFS node's `dag export`: the node adds
# files (its own importer), exports them, and lib/car must read every
# block and write the very same bytes back (car_export of the same DAG).
load helper
load ipfs

setup_file() {
	ipfs_start 1
	export D="$BATS_FILE_TMPDIR"
	gen_bytes export 1000000 >"$D/random.bin"
	head -c 300000 /dev/zero >"$D/zeros.bin"
}
teardown_file() { ipfs_stop; }

# node_add FILE QUERY: add FILE through the node's RPC API, print its CID
node_add() {
	curl -sS -m 60 -X POST -F "file=@$1;type=application/octet-stream;filename=$(basename "$1")" \
		"$(ipfs_api 1)/api/v0/add?$2" | jq -r .Hash
}

# node_export CID OUT: the node's `dag export` of CID
node_export() {
	curl -sS -m 60 -X POST "$(ipfs_api 1)/api/v0/dag/export?arg=$1" >"$2"
}

check_export() {
	local cid car="$BATS_TEST_TMPDIR/node.car"
	cid=$(node_add "$D/$1" "$2")
	[ -n "$cid" ] && [ "$cid" != null ] || fail "add failed"
	node_export "$cid" "$car"
	run wanda-dag verify "$car"
	assert_success
	# the root the node printed (maybe in base58btc) is the CAR's root
	run "$WANDA_TESTBIN/kubo_probe" cid-equal "$cid" "$(jq -r '.roots[0]' <<<"$output")"
	assert_success
	"$WANDA_TESTBIN/car_reexport" "$car" >"$BATS_TEST_TMPDIR/ours.car"
	cmp "$car" "$BATS_TEST_TMPDIR/ours.car"
	"$WANDA_TESTBIN/car_reexport" -m 0 "$car" >"$BATS_TEST_TMPDIR/ours-spilled.car"
	cmp "$car" "$BATS_TEST_TMPDIR/ours-spilled.car"
}

@test "dag export of a CIDv1 raw-leaves file: same bytes from car_export" {
	check_export random.bin "cid-version=1&raw-leaves=true&chunker=size-65536"
}

@test "dag export of a CIDv0 file with repeated chunks: each block once, same bytes" {
	check_export zeros.bin "chunker=size-100000"
	run wanda-dag ls "$BATS_TEST_TMPDIR/node.car"
	assert_equal "${#lines[@]}" 2
}

@test "dag export of a multi-level CIDv0 DAG (small chunks, 174-link nodes)" {
	check_export random.bin "chunker=size-2048"
	run wanda-dag verify --jq .blocks "$BATS_TEST_TMPDIR/node.car"
	# 489 leaves need 3 nodes of at most 174 links and a root above them
	assert_output 493
}
