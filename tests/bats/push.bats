#!/usr/bin/env bats
# wanda-push against a real IPFS node (Kubo, tests/ipfs-node).
load helper
load ipfs
load one-node
load push

setup() { wanda_fresh_workdir; }

teardown() { faultd_stop; }

# push_ok FILE: push FILE, check the line and the round trip through the node
push_ok() {
	local f=$1 size
	size=$(stat -c %s "$f")
	run --separate-stderr wanda-push "$@"
	assert_success
	line=$output
	assert_equal "$(json_get "$line" .path)" "$f"
	assert_equal "$(json_get "$line" .size)" "$size"
	assert_equal "$(json_get "$line" .pinned)" true
	[[ $(json_get "$line" .ms) =~ ^[0-9]+$ ]] || fail "ms: $(json_get "$line" .ms)"
	cid=$(json_get "$line" .cid)
	assert_equal "$cid" "$(ref_cid "$f")"
	pinned_on_node "$cid"
	ipfs_rpc 1 cat "arg=$cid" >"$f.back"
	cmp "$f" "$f.back"
}

@test "push files of 0 bytes, 1 byte, 1 MiB, 1 MiB + 1 and 3 MiB: CID verified, pinned, same bytes back" {
	: >zero
	printf x >one
	gen_bytes a 1048576 >mib
	gen_bytes b 1048577 >mib1
	gen_bytes c 3145728 >three
	for f in zero one mib mib1 three; do push_ok "$f"; done
	assert_equal "$(json_get "$(wanda-push zero)" .cid)" bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
}

@test "push a 200 MiB file: one pinned add with WANDA's profile; Kubo 0.35+ builds WANDA's 1024-link DAG itself, an older one gets WANDA's root by block/put" {
	gen_bytes big 209715200 >big
	before=$(recursive_pins)
	faultd_start -u "$(node_hostport)"     # no faults: a relay that logs each request
	WANDA_API=$FAULTD_URL push_ok big
	assert_equal "$(recursive_pins)" $((before + 1))
	run grep ' /api/v0/add?' "$FAULTD_LOG"
	assert_output --partial 'max-file-links=1024'
	assert_output --partial 'max-hamt-fanout=256'
	assert_output --partial 'pin=true'
	daemons=$(ref_cid big 174)
	[ "$daemons" != "$cid" ] || fail "the two layouts gave one CID"
	if kubo_before 0.35; then
		# tests/run --kubo with an older Kubo: it ignores the link flags and
		# builds its 174-link DAG; WANDA's root node goes in by block/put
		run grep -c ' /api/v0/block/put' "$FAULTD_LOG"
		assert_output 1
		not_pinned_on_node "$daemons"
	else
		run grep -c ' /api/v0/' "$FAULTD_LOG"
		assert_output 1
		# the node never built the 174-link DAG of Kubo's default
		run ipfs_rpc 1 refs/local
		refute_output --partial "$daemons"
	fi
}

@test "a recorded CID that differs: nothing stays pinned, small file or big" {
	gen_bytes s 300000 >small
	gen_bytes t 183500801 >big
	other=$(ref_cid small)
	gen_bytes s2 300000 >small   # changed after its CID was recorded
	for f in small big; do
		run --separate-stderr wanda-push <<<"{\"path\":\"$f\",\"cid\":\"$other\"}"
		assert_failure 65
		assert_equal "$(json_get "$output" .error.kind)" cid-mismatch
		[[ $stderr == *"differs from the recorded CID $other"* ]] || fail "stderr: $stderr"
		not_pinned_on_node "$(ref_cid "$f")"
	done
}

@test "the local CID agrees with wanda-dag add --profile=unixfs-v1-2025" {
	gen_bytes d 2500000 >f
	run --separate-stderr wanda-dag add --profile=unixfs-v1-2025 -Q f
	assert_success
	assert_equal "$(json_get "$(wanda-push f)" .cid)" "$output"
}

@test "--via car: blocks built locally, imported as a CAR, pinned, same CID" {
	gen_bytes e 5000000 >f
	run --separate-stderr wanda-push --via car f
	assert_success
	cid=$(json_get "$output" .cid)
	assert_equal "$cid" "$(ref_cid f)"
	assert_equal "$(json_get "$output" .pinned)" true
	pinned_on_node "$cid"
	ipfs_rpc 1 cat "arg=$cid" | cmp - f
}

@test "--via rejects anything but add or car" {
	run --separate-stderr wanda-push --via ftp x
	assert_failure 64
	[[ $stderr == *--via* ]] || fail "stderr: $stderr"
}

@test "paths on stdin, one per line, one result line each in order" {
	gen_bytes 1 1000 >a; gen_bytes 2 2000 >b
	run --separate-stderr bash -c 'printf "a\n\n  b\n" | wanda-push'
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_equal "$(json_get "${lines[0]}" .path)" a
	assert_equal "$(json_get "${lines[1]}" .path)" b
	assert_equal "$(json_get "${lines[1]}" .cid)" "$(ref_cid b)"
}

@test "JSON lines on stdin: every field it does not set is copied through" {
	gen_bytes 3 4000 >a
	cid=$(ref_cid a)
	run --separate-stderr bash -c "printf '%s\n' '{\"id\":\"c1\",\"spool_file\":\"/s/cur/c1\",\"path\":\"a\",\"cid\":\"$cid\",\"kind\":\"capture\",\"attempts\":2}' | wanda-push"
	assert_success
	assert_equal "$(json_get "$output" .id)" c1
	assert_equal "$(json_get "$output" .spool_file)" /s/cur/c1
	assert_equal "$(json_get "$output" .kind)" capture
	assert_equal "$(json_get "$output" .attempts)" 2
	assert_equal "$(json_get "$output" .cid)" "$cid"
	assert_equal "$(json_get "$output" .pinned)" true
}

@test "an input CID that differs from the file's is a cid-mismatch; the batch goes on" {
	gen_bytes 4 4000 >a; gen_bytes 5 5000 >b
	other=$(ref_cid b)
	run --separate-stderr bash -c "printf '%s\n' '{\"id\":\"x\",\"path\":\"a\",\"cid\":\"$other\"}' '{\"id\":\"y\",\"path\":\"b\"}' | wanda-push"
	assert_failure 65
	assert_equal "$(json_get "${lines[0]}" .id)" x
	assert_equal "$(json_get "${lines[0]}" .error.kind)" cid-mismatch
	assert_equal "$(json_get "${lines[0]}" .error.code)" 65
	assert_equal "$(json_get "${lines[0]}" .error.permanent)" true
	assert_equal "$(json_get "${lines[1]}" .id)" y
	assert_equal "$(json_get "${lines[1]}" .pinned)" true
}

@test "bad input lines are errors of kind input, the rest is pushed" {
	gen_bytes 6 100 >a
	run --separate-stderr bash -c "printf '%s\n' '{\"nopath\":1}' '{broken' 'a' | wanda-push 2>err"
	assert_failure 65
	assert_equal "$(json_get "${lines[0]}" .error.kind)" input
	assert_output --partial '"pinned":true'
	grep -q 'stdin:1' err
}

@test "a missing file fails with 66 and the batch goes on" {
	gen_bytes 7 100 >a
	run --separate-stderr wanda-push nosuch a
	assert_failure 66
	assert_equal "$(json_get "${lines[0]}" .error.kind)" missing
	assert_equal "$(json_get "${lines[0]}" .error.code)" 66
	assert_equal "$(json_get "${lines[-1]}" .pinned)" true
}

@test "stdin is read line by line and each result is flushed at once (pipeline)" {
	gen_bytes 8 100 >a
	mkfifo in
	wanda-push <in >out 3>&- &
	pid=$!
	exec 5>in
	echo a >&5
	for _ in $(seq 100); do [ -s out ] && break; sleep 0.1; done
	[ -s out ] || { exec 5>&-; fail "no output while stdin is still open"; }
	assert_equal "$(json_get "$(cat out)" .pinned)" true
	kill -0 "$pid"    # still running, waiting for more
	exec 5>&-
	wait "$pid"
}

@test "--jq reshapes the output" {
	gen_bytes 9 100 >a
	run --separate-stderr wanda-push --jq .cid a
	assert_success
	assert_equal "$output" "\"$(ref_cid a)\""
}

@test "--offline queues the blocks as a CAR in the outbox; --flush imports, pins and empties it" {
	gen_bytes 10 3000000 >a
	cid=$(ref_cid a)
	run --separate-stderr bash -c "printf '%s\n' '{\"id\":\"q1\",\"path\":\"a\"}' | wanda-push --offline"
	assert_success
	assert_equal "$(json_get "$output" .queued)" true
	assert_equal "$(json_get "$output" .pinned)" false
	car=$(json_get "$output" .outbox)
	assert_equal "$car" "$WANDA_HOME/outbox/$cid.car"
	assert_file_exists "$car"
	run ipfs_rpc 1 pin/ls "arg=$cid"
	assert_output --partial "not pinned"
	run --separate-stderr wanda-push --flush
	assert_success
	assert_equal "$(json_get "$output" .id)" q1
	assert_equal "$(json_get "$output" .cid)" "$cid"
	assert_equal "$(json_get "$output" .pinned)" true
	assert_equal "$(json_get "$output" .size)" 3000000
	assert_file_not_exists "$car"
	pinned_on_node "$cid"
	ipfs_rpc 1 cat "arg=$cid" | cmp - a
}

@test "an unreachable daemon: files go to the outbox; --no-outbox makes it an error (69)" {
	gen_bytes 11 1000 >a
	dead="http://127.0.0.1:$(ipfs_dead_port)"
	run --separate-stderr wanda-push --api "$dead" a
	assert_success
	assert_equal "$(json_get "$output" .queued)" true
	assert_file_exists "$(json_get "$output" .outbox)"
	run --separate-stderr wanda-push --api "$dead" --no-outbox a
	assert_failure 69
	assert_equal "$(json_get "$output" .error.kind)" unreachable
	assert_equal "$(json_get "$output" .error.permanent)" false
	# flush while still down keeps the CAR
	run --separate-stderr wanda-push --api "$dead" --flush
	assert_failure 69
	assert_file_exists "$WANDA_HOME/outbox/$(ref_cid a).car"
	# back up: flushed
	run --separate-stderr wanda-push --flush
	assert_success
	assert_equal "$(json_get "$output" .pinned)" true
	[ -z "$(ls "$WANDA_HOME/outbox")" ] || fail "outbox not empty: $(ls "$WANDA_HOME/outbox")"
}

@test "an outbox that cannot be written: kind outbox, 73" {
	gen_bytes 14 1000 >a
	: >notadir
	export WANDA_HOME="$PWD/notadir"
	run --separate-stderr wanda-push --offline a
	assert_failure 73
	assert_equal "$(json_get "$output" .error.kind)" outbox
	assert_equal "$(json_get "$output" .error.permanent)" false
}

@test "--flush reports a CAR the daemon refuses, keeps it, and goes on with the others" {
	gen_bytes 15 1000 >a
	run --separate-stderr wanda-push --offline a
	good=$(json_get "$output" .outbox)
	mkdir -p "$WANDA_HOME/outbox"
	bad="$WANDA_HOME/outbox/bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.car"
	printf 'not a car' >"$bad"
	run --separate-stderr wanda-push --flush
	assert_failure
	assert_equal "${#lines[@]}" 2
	assert_output --partial '"error"'
	assert_output --partial '"pinned":true'
	assert_file_exists "$bad"
	assert_file_not_exists "$good"
}

@test "--via car with a missing file: missing, 66" {
	run --separate-stderr wanda-push --via car nosuch
	assert_failure 66
	assert_equal "$(json_get "$output" .error.kind)" missing
}

@test "--flush takes no FILE and no --offline" {
	run --separate-stderr wanda-push --flush a
	assert_failure 64
	run --separate-stderr wanda-push --flush --offline
	assert_failure 64
}

@test "--flush with an empty outbox does nothing and succeeds" {
	run --separate-stderr wanda-push --flush
	assert_success
	assert_output ""
}

@test "pin add, pin ls, pin rm" {
	gen_bytes 12 1000 >a
	cid=$(json_get "$(wanda-push a)" .cid)
	run --separate-stderr wanda-push pin rm "$cid"
	assert_success
	assert_equal "$(json_get "$output" .pinned)" false
	run ipfs_rpc 1 pin/ls "arg=$cid"
	assert_output --partial "not pinned"
	run --separate-stderr wanda-push pin ls "$cid"
	assert_success
	assert_equal "$(json_get "$output" .pinned)" false
	run --separate-stderr wanda-push pin add "$cid"
	assert_success
	assert_equal "$(json_get "$output" .pinned)" true
	pinned_on_node "$cid"
	run --separate-stderr wanda-push pin ls "$cid"
	assert_equal "$(json_get "$output" .pinned)" true
	assert_equal "$(json_get "$output" .type)" recursive
	run --separate-stderr wanda-push pin ls
	assert_success
	assert_output --partial "\"cid\":\"$cid\""
}

@test "pin with a bad CID or a bad verb" {
	run --separate-stderr wanda-push pin add notacid
	assert_failure 65
	assert_equal "$(json_get "$output" .error.kind)" input
	run --separate-stderr wanda-push pin frob x
	assert_failure 64
	run --separate-stderr wanda-push pin add
	assert_failure 64
}

@test "status: daemon up, version, peer id, peers, repo size and limit" {
	run --separate-stderr wanda-push status
	assert_success
	assert_equal "$(json_get "$output" .up)" true
	assert_equal "$(json_get "$output" .peer_id)" "$(ipfs_peer_id 1)"
	assert_equal "$(json_get "$output" .version)" "$(ipfs_rpc 1 version | jq -r .Version)"
	[[ $(json_get "$output" .peers) =~ ^[0-9]+$ ]]
	[ "$(json_get "$output" .repo_size)" -gt 0 ]
	[ "$(json_get "$output" .storage_max)" -gt 0 ]
}

@test "status of an unreachable daemon: up false, 69" {
	run --separate-stderr wanda-push --api "http://127.0.0.1:$(ipfs_dead_port)" status
	assert_failure 69
	assert_equal "$(json_get "${lines[-1]}" .up)" false
	assert_equal "$(json_get "${lines[-1]}" .error.kind)" unreachable
}

@test "--retries must be a number from 0 to 100" {
	run --separate-stderr wanda-push --retries many a
	assert_failure 64
	[[ $stderr == *--retries* ]] || fail "stderr: $stderr"
}

@test "--timeout must be a duration" {
	run --separate-stderr wanda-push --timeout soon a
	assert_failure 64
	[[ $stderr == *--timeout* ]] || fail "stderr: $stderr"
}

@test "a progress bar on stderr only when it is a terminal" {
	gen_bytes 13 33554432 >big
	run --separate-stderr bash -c 'wanda-push big 2>err >/dev/null; cat err'
	assert_output ""
	run script -qec "wanda-push big >/dev/null" /dev/null
	assert_success
	assert_output --partial "MiB/s"
}
