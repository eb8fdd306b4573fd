#!/usr/bin/env bats
# Raw DNGs (wanda-capture --raw): queued beside their image under ID.dng,
# pushed and pinned through the same pipeline into a real IPFS node, so the
# session directory's link to them resolves; recovered after a crash; and
# freed by gc only once pinned.
load helper
load ipfs
load one-node

setup() {
	wanda_fresh_home
	export PATH="$TOP/tests/fakes:$PATH" FAKE_LOG="$BATS_TEST_TMPDIR/fake.log"
	: >"$FAKE_LOG"
	SP=$WANDA_HOME/spool
	cd "$BATS_TEST_TMPDIR"
}

# shoot: one rpicam capture with --raw in session r; sets ID, SIDE, DNG
shoot() {
	run --separate-stderr wanda-capture --source rpicam --session r --raw --width 320 --height 240
	assert_success
	ID=$(jq -r .id <<<"$output")
	SIDE=$(jq -r .sidecar <<<"$output")
	DNG=$(jq -r .raw <<<"$output")
	assert_file_exists "$DNG"
}

wq() { set -o pipefail; wanda-queue "$@" | jq -r .; }
drain() { wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack; }
pinned_on_node() { ipfs_rpc 1 pin/ls "arg=$1" | jq -e '.Keys | length == 1' >/dev/null; }

@test "a capture with --raw queues its image and its DNG, each with its own CID" {
	shoot
	run wq list --jq '"\(.id) \(.kind) \(.cid)"'
	assert_success
	assert_output "$ID capture $(jq -r .cid "$SIDE")"$'\n'"$ID.dng raw $(jq -r .raw_cid "$SIDE")"
	jq -e --arg p "$DNG" '.path == $p' "$SP/new/$ID.dng" >/dev/null
}

@test "the pipeline pins the DNG, records it in raw_ipfs, and the session's link to it resolves" {
	shoot
	run drain
	assert_success
	[ "$(grep -c '"state":"done"' <<<"$output")" -eq 2 ]
	[ "$(jq -r .ipfs.state "$SIDE")" = pinned ]
	[ "$(jq -r .raw_ipfs.state "$SIDE")" = pinned ]
	[ "$(jq -r .raw_ipfs.cid "$SIDE")" = "$(jq -r .raw_cid "$SIDE")" ]
	pinned_on_node "$(jq -r .raw_cid "$SIDE")"
	run --separate-stderr wanda-dag session r
	assert_success
	root=$(jq -r .cid <<<"$output")
	ipfs_rpc 1 cat "arg=/ipfs/$root/images/$ID.dng" | cmp - "$DNG"
}

@test "a DNG whose push fails: the entry fails, raw_ipfs says why, the image's state is its own" {
	shoot
	rm "$DNG"
	run drain
	[ "$(jq -r .ipfs.state "$SIDE")" = pinned ]
	[ "$(jq -r .raw_ipfs.state "$SIDE")" = failed ]
	[[ $(jq -r .raw_ipfs.error "$SIDE") == *"$ID.dng"* ]] || fail "error: $(jq -r .raw_ipfs.error "$SIDE")"
	[ -e "$SP/failed/$ID.dng" ] || [ -n "$(ls "$SP/failed" | grep "^$ID.dng")" ] || fail "no failed entry"
}

@test "recover queues a DNG whose entry a crash lost, and not one already pinned" {
	shoot
	rm "$SP/new/$ID.dng"
	run wanda-queue recover --orphan-age 0 --jq .id
	assert_success
	[ -n "$(ls "$SP/new" | grep "^$ID.dng")" ] || fail "DNG not queued again: $(ls "$SP/new")"
	[ "$(ls "$SP/new" | grep -c "^$ID")" -eq 2 ]
	drain >/dev/null
	run wanda-queue recover --orphan-age 0 --jq .id
	assert_output ""
	[ -z "$(ls "$SP/new")" ]
}

@test "wanda-capture's own recovery queues both entries of a capture cut short" {
	shoot
	rm "$SP/new/$ID" "$SP/new/$ID.dng"
	run --separate-stderr wanda-capture --source rpicam --session r --count 1 --raw
	assert_success
	[ "$(ls "$SP/new" | grep -c "^$ID")" -eq 2 ] || fail "entries: $(ls "$SP/new")"
}

@test "gc frees a pinned DNG before its image, records raw_removed_at, never an unpinned one" {
	shoot
	first=$ID first_side=$SIDE first_dng=$DNG
	drain >/dev/null
	shoot                                        # queued, not pushed
	run wanda-queue gc --keep-free 999999G
	assert_success
	run jq -r 'select(.summary | not) | "\(.id) \(.raw // false)"' <<<"$output"
	assert_output "$first true"$'\n'"$first false"
	assert_file_not_exists "$first_dng"
	jq -e '.raw_removed_at | test("Z$")' "$first_side" >/dev/null
	assert_file_exists "$DNG"
	assert_file_exists "$(dirname "$SIDE")/$ID.jpg"
}
