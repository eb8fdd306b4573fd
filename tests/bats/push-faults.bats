#!/usr/bin/env bats
# wanda-push against what a real node will not do on demand: tests/tools/faultd
# answers by a script, and relays to the real node (-u) when the script is used up.
load helper
load ipfs
load one-node
load push

setup() {
	wanda_fresh_workdir
	gen_bytes "$BATS_TEST_NUMBER" 300000 >a
	gen_bytes "x$BATS_TEST_NUMBER" 200000 >b
}

teardown() {
	faultd_stop
	[ -z "${INNER_PID:-}" ] || { kill "$INNER_PID"; wait "$INNER_PID" || true; }
}

# push_fault MODE: push a through faultd answering MODE; sets output/status
push_fault() {
	faultd_start "$@"
	run --separate-stderr wanda-push --no-outbox --timeout 2s --api "$FAULTD_URL" a
}

# attempts PATH: how many requests faultd saw for that command
attempts() { grep -c " /api/v0/$1" "$FAULTD_LOG" || true; }

@test "HTTP 500 with Kubo's error body: kind http, 70, the daemon's message, not permanent, not retried" {
	push_fault 500
	assert_failure 70
	assert_equal "$(json_get "$output" .error.kind)" http
	assert_equal "$(json_get "$output" .error.code)" 70
	assert_equal "$(json_get "$output" .error.permanent)" false
	assert_output --partial "injected 500 failure"
	assert_equal "$(attempts add)" 1
}

@test "HTTP 400: kind http, 70, permanent" {
	push_fault 400
	assert_failure 70
	assert_equal "$(json_get "$output" .error.kind)" http
	assert_equal "$(json_get "$output" .error.permanent)" true
	assert_output --partial "injected 400 failure"
	assert_equal "$(attempts add)" 1
}

@test "X-Stream-Error trailer after a 200: kind stream, 76, its text" {
	push_fault trailer
	assert_failure 76
	assert_equal "$(json_get "$output" .error.kind)" stream
	assert_equal "$(json_get "$output" .error.code)" 76
	assert_output --partial "injected stream error"
}

@test "a body cut before its Content-Length: kind truncated, 74" {
	push_fault cut
	assert_failure 74
	assert_equal "$(json_get "$output" .error.kind)" truncated
	assert_equal "$(json_get "$output" .error.code)" 74
}

@test "a chunked body cut mid-chunk: kind truncated, 74" {
	push_fault cutchunk
	assert_failure 74
	assert_equal "$(json_get "$output" .error.kind)" truncated
}

@test "a stall after the headers: kind timeout, 75, given up after the low-speed time, retried --retries times" {
	faultd_start stall
	SECONDS=0
	run --separate-stderr wanda-push --no-outbox --timeout 2s --retries 1 --api "$FAULTD_URL" a
	assert_failure 75
	assert_equal "$(json_get "$output" .error.kind)" timeout
	assert_equal "$(json_get "$output" .error.code)" 75
	assert_equal "$(json_get "$output" .error.permanent)" false
	assert_equal "$(attempts add)" 2
	[ "$SECONDS" -lt 25 ] || fail "took ${SECONDS}s"
}

@test "--retries 0: a truncated answer is not retried" {
	faultd_start -u "$(node_hostport)" cut
	run --separate-stderr wanda-push --no-outbox --retries 0 --api "$FAULTD_URL" a
	assert_failure 74
	assert_equal "$(attempts add)" 1
}

@test "a wrong CID from the daemon: kind cid-mismatch, 65, both CIDs named, never accepted" {
	push_fault wrongcid
	assert_failure 65
	assert_equal "$(json_get "$output" .error.kind)" cid-mismatch
	assert_output --partial "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
	assert_output --partial "$(ref_cid a)"
	refute_output --partial '"pinned":true'
}

@test "a wrong root from dag/import (--via car): cid-mismatch, 65" {
	faultd_start wrongcid
	run --separate-stderr wanda-push --via car --no-outbox --api "$FAULTD_URL" a
	assert_failure 65
	assert_equal "$(json_get "$output" .error.kind)" cid-mismatch
}

@test "a daemon whose DAG has another shape (link limit): the file goes again as a CAR, pinned, said on stderr" {
	gen_bytes big 183500801 >big     # 175 leaves: the layouts differ
	faultd_start -u "$(node_hostport)" -m /api/v0/add wrongcid
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" big
	assert_success
	cid=$(json_get "$output" .cid)
	assert_equal "$cid" "$(ref_cid big)"
	assert_equal "$(json_get "$output" .pinned)" true
	[[ $stderr == *"sent again as a CAR"* ]] || fail "stderr: $stderr"
	assert_equal "$(attempts dag/import)" 1
	pinned_on_node "$cid"
}

@test "a daemon that ignores max-file-links (Kubo before 0.35): its 174-link DAG, WANDA's nodes by block/put, only WANDA's root pinned" {
	gen_bytes old 183500801 >big     # 175 leaves: the layouts differ
	faultd_start -u "$(node_hostport)" -m /api/v0/add oldkubo
	before=$(recursive_pins)
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" big
	assert_success
	cid=$(json_get "$output" .cid)
	assert_equal "$cid" "$(ref_cid big)"
	assert_equal "$(json_get "$output" .pinned)" true
	[[ $stderr == *"ignored max-file-links"* ]] || fail "stderr: $stderr"
	assert_equal "$(attempts add)" 1
	assert_equal "$(attempts block/put)" 1      # WANDA's root: 175 links in one node
	assert_equal "$(attempts dag/import)" 0
	pinned_on_node "$cid"
	not_pinned_on_node "$(ref_cid big 174)"
	assert_equal "$(recursive_pins)" $((before + 1))
	ipfs_rpc 1 cat "arg=$cid" | cmp - big
}

@test "a DAG node the daemon stores under another CID (block/put): cid-mismatch, 65, nothing pinned" {
	gen_bytes big2 183500801 >big
	# two faultds in a row: the inner one answers block/put with a wrong
	# CID, the outer one makes add look like a daemon before Kubo 0.35
	faultd_start -u "$(node_hostport)" -m /api/v0/block/put wrongcid
	INNER_PID=$FAULTD_PID inner_log=$FAULTD_LOG FAULTD_PID=
	faultd_start -u "${FAULTD_URL#http://}" -m /api/v0/add oldkubo
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" big
	assert_failure 65
	assert_equal "$(json_get "$output" .error.kind)" cid-mismatch
	[[ $stderr == *"stored a DAG node as QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"* ]] || fail "stderr: $stderr"
	assert_equal "$(grep -c ' /api/v0/block/put' "$inner_log")" 1
	assert_equal "$(attempts pin/add)" 0
	not_pinned_on_node "$(ref_cid big)"
	not_pinned_on_node "$(ref_cid big 174)"
}

@test "a retried add starts the local hash over: a cut answer, then the real node: the right CID" {
	gen_bytes r 3000000 >f
	faultd_start -u "$(node_hostport)" -m /api/v0/add 'cut'
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" f
	assert_success
	assert_equal "$(attempts add)" 2
	assert_equal "$(json_get "$output" .cid)" "$(ref_cid f)"
}

@test "connection refused: kind unreachable, 69 (with --no-outbox)" {
	run --separate-stderr wanda-push --no-outbox --api "http://127.0.0.1:$(ipfs_dead_port)" a
	assert_failure 69
	assert_equal "$(json_get "$output" .error.kind)" unreachable
	assert_equal "$(json_get "$output" .error.code)" 69
}

@test "the exit codes of the kinds are all distinct" {
	codes=()
	for m in 500 trailer cut stall wrongcid; do
		faultd_start "$m"
		wanda-push --no-outbox --timeout 2s --retries 0 --api "$FAULTD_URL" a >/dev/null 2>&1 && fail "$m succeeded"
		codes+=($?)
		faultd_stop
	done
	wanda-push --no-outbox --api "http://127.0.0.1:$(ipfs_dead_port)" a >/dev/null 2>&1 && fail "dead port succeeded"
	codes+=($?)
	assert_equal "$(printf '%s\n' "${codes[@]}" | sort -u | wc -l)" 6
}

@test "truncated answers are retried: two cut answers, then the real node: pushed, 3 attempts" {
	faultd_start -u "$(node_hostport)" 'cut*2'
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" a
	assert_success
	assert_equal "$(json_get "$output" .pinned)" true
	assert_equal "$(json_get "$output" .cid)" "$(ref_cid a)"
	assert_equal "$(attempts add)" 3
}

@test "a batch goes on past a failed file, exits non-zero, and loses nothing" {
	faultd_start -u "$(node_hostport)" 500
	run --separate-stderr wanda-push --no-outbox --api "$FAULTD_URL" a b
	assert_failure 70
	assert_equal "${#lines[@]}" 2
	assert_equal "$(json_get "${lines[0]}" .error.kind)" http
	assert_equal "$(json_get "${lines[1]}" .pinned)" true
	# the failed one goes through on the next try
	run --separate-stderr wanda-push --api "$FAULTD_URL" a
	assert_success
	assert_equal "$(json_get "$output" .cid)" "$(ref_cid a)"
	pinned_on_node "$(ref_cid a)"
}

@test "JSON input keeps its fields on failure, so the queue can defer it" {
	faultd_start trailer
	run --separate-stderr bash -c "printf '%s\n' '{\"id\":\"c9\",\"spool_file\":\"/s/c9\",\"path\":\"a\"}' | wanda-push --no-outbox --api $FAULTD_URL"
	assert_failure 76
	assert_equal "$(json_get "$output" .id)" c9
	assert_equal "$(json_get "$output" .spool_file)" /s/c9
	assert_equal "$(json_get "$output" .error.kind)" stream
}

@test "--flush keeps a CAR whose import failed, and deletes it once it succeeds" {
	run --separate-stderr wanda-push --offline a
	car=$(json_get "$output" .outbox)
	faultd_start -u "$(node_hostport)" 500
	run --separate-stderr wanda-push --api "$FAULTD_URL" --flush
	assert_failure 70
	assert_file_exists "$car"
	run --separate-stderr wanda-push --api "$FAULTD_URL" --flush
	assert_success
	assert_file_not_exists "$car"
	assert_equal "$(json_get "$output" .pinned)" true
}

@test "pin add through a 500: an error line, 70" {
	faultd_start 500
	run --separate-stderr wanda-push --api "$FAULTD_URL" pin add "$(ref_cid a)"
	assert_failure 70
	assert_equal "$(json_get "$output" .error.kind)" http
}

@test "a pipeline catches up by itself: queued while unreachable, flushed after the next success" {
	faultd_start -u "$(node_hostport)" hangup
	run --separate-stderr bash -c "printf '%s\n' '{\"id\":\"u1\",\"path\":\"a\"}' '{\"id\":\"u2\",\"path\":\"b\"}' | wanda-push --retries 0 --api $FAULTD_URL"
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(json_get "${lines[0]}" .id)" u1
	assert_equal "$(json_get "${lines[0]}" .queued)" true
	assert_equal "$(json_get "${lines[1]}" .id)" u2
	assert_equal "$(json_get "${lines[1]}" .pinned)" true
	assert_equal "$(json_get "${lines[2]}" .id)" u1
	assert_equal "$(json_get "${lines[2]}" .pinned)" true
	assert_equal "$(json_get "${lines[2]}" .cid)" "$(ref_cid a)"
	pinned_on_node "$(ref_cid a)"
	[ -z "$(ls "$WANDA_HOME/outbox")" ] || fail "outbox not empty"
}
