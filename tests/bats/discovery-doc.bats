#!/usr/bin/env bats
# docs/discovery-protocol.md: every message example in it is what the
# parser says (```json blocks parse; ```json dropped:REASON blocks are
# refused for that reason), and wanda-discover's CLI basics without a daemon.
load helper

DOC="$TOP/docs/discovery-protocol.md"

# blocks DIR: each fenced json block into DIR/N.json, its expectation into DIR/N.want
blocks() {
	awk -v dir="$1" '
		/^```json/ { n++; want = ($2 ~ /^dropped:/) ? substr($2, 9) : "ok"; f = dir "/" n ".json";
			print want > (dir "/" n ".want"); printf "" > f; inblock = 1; next }
		/^```/ && inblock { inblock = 0; close(f); next }
		inblock { print >> f }
	' "$DOC"
}

@test "the protocol document's examples parse as the document says" {
	d="$BATS_TEST_TMPDIR/ex"
	mkdir -p "$d"
	blocks "$d"
	n=$(ls "$d"/*.json | wc -l)
	[ "$n" -ge 5 ] || fail "only $n examples found"
	for f in "$d"/*.json; do
		run "$WANDA_TESTBIN/announce_check" "$f"
		assert_success
		[ "$output" = "$(cat "${f%.json}.want")" ] || fail "$(basename "$f"): $output, doc says $(cat "${f%.json}.want")"
	done
}

@test "wanda-discover peers with no peers.json prints nothing and succeeds" {
	wanda_fresh_home
	run wanda-discover peers
	assert_success
	assert_output ""
}

@test "wanda-discover rejects a bad heartbeat and an unknown command" {
	wanda_fresh_home
	run wanda-discover --heartbeat 10ms peers
	[ "$status" -eq 64 ]
	assert_output --partial "heartbeat"
	run wanda-discover frobnicate
	[ "$status" -eq 64 ]
	assert_output --partial "usage: wanda-discover"
}

@test "wanda-discover peers refuses a peers.json that is not one" {
	wanda_fresh_home
	mkdir -p "$WANDA_HOME/state"
	echo '{"v":1}' >"$WANDA_HOME/state/peers.json"
	run wanda-discover peers
	[ "$status" -eq 65 ]
	assert_output --partial "peers.json"
}

@test "wanda-discover announce without a daemon fails as unavailable (69)" {
	wanda_fresh_home
	export WANDA_API="http://127.0.0.1:9"
	run wanda-discover announce
	[ "$status" -eq 69 ]
}
