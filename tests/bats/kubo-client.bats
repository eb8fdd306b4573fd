#!/usr/bin/env bats
# lib/kubo against real IPFS nodes (Kubo, tests/ipfs-node), through the
# kubo_probe test tool: every call, checked by its effect on the node (read
# back with raw curl where the client's own answer would prove nothing).
load helper
load ipfs

setup_file() {
	ipfs_start 2
}

teardown_file() {
	ipfs_stop
}

setup() {
	PROBE="$WANDA_TESTBIN/kubo_probe"
	cd "$BATS_TEST_TMPDIR"
}

probe() { "$PROBE" "$@"; }
probe2() { "$PROBE" -a "$(ipfs_api 2)" "$@"; }

# raw_add FILE QUERY: the Hash the node gives for a plain curl upload
raw_add() {
	curl -sS -m 60 -X POST -F "file=@$1;type=application/octet-stream" \
		"$WANDA_API/api/v0/add?$2" | jq -r 'select(.Hash) | .Hash' | tail -1
}

@test "id: the node's peer id and swarm address" {
	run probe id
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$(ipfs_peer_id 1)"
	jq -e --arg a "$(ipfs_swarm_addr 1)" '.addrs | index($a) != null' <<<"$output"
}

@test "version and repo/stat match the node's own answers" {
	run probe version
	assert_success
	assert_equal "$(jq -r .version <<<"$output")" "$(ipfs_rpc 1 version | jq -r .Version)"
	run probe repo-stat
	assert_success
	assert_equal "$(jq -r .repo_path <<<"$output")" "$(ipfs_repo 1)"
	# the client gives numbers, whatever JSON type the node used
	jq -e '(.storage_max | type) == "number" and .storage_max > 0 and (.repo_size | type) == "number"' <<<"$output"
}

@test "stats/bw: the node's counters, as numbers" {
	run probe stats-bw
	assert_success
	raw=$(ipfs_rpc 1 stats/bw)
	# the same counters the node reports to a raw call
	assert_equal "$(jq -c '[.total_in, .total_out]' <<<"$output")" \
		"$(jq -c '[(.TotalIn | tonumber), (.TotalOut | tonumber)]' <<<"$raw")"
	jq -e '(.rate_in | type) == "number" and (.rate_out | type) == "number"' <<<"$output"
}

@test "add then cat: the same bytes, the CID a plain upload with the same flags gives" {
	gen_bytes add 3000000 >img.jpg
	run probe add img.jpg
	assert_success
	C=$(jq -r .cid <<<"$output")
	assert_equal "$(jq -r .name <<<"$output")" img.jpg
	assert_equal "$C" "$(raw_add img.jpg 'cid-version=1&raw-leaves=true&chunker=size-1048576&hash=sha2-256')"
	probe cat "$C" >back
	cmp img.jpg back
	# CIDv1 in base32, as Kubo spells it, and Size = root block + 3 raw leaves
	[[ $C == bafy* ]]
	assert_equal "$(ipfs_rpc 1 block/stat "arg=$C" | jq -r .Size)" "$(( $(jq -r .size <<<"$output") - 3000000 ))"
}

@test "add: a filename with spaces, '+' and '%' is escaped on the wire and comes back whole" {
	gen_bytes name 100 >"a b+c%.jpg"
	run probe add "a b+c%.jpg"
	assert_success
	assert_equal "$(jq -r .name <<<"$output")" "a b+c%.jpg"
}

@test "add from a pipe (chunked upload) gives the file's CID" {
	gen_bytes pipe 1500000 >f
	a=$(probe add f | jq -r .cid)
	b=$(cat f | probe add - | jq -r .cid)
	assert_equal "$a" "$b"
}

@test "add: Kubo's defaults give a CIDv0, trickle another root, 0 bytes works" {
	gen_bytes v0 600000 >f
	run probe add f --v0
	assert_success
	[[ $(jq -r .cid <<<"$output") == Qm* ]]
	assert_equal "$(jq -r .cid <<<"$output")" "$(raw_add f 'cid-version=0&raw-leaves=false&chunker=size-262144')"
	t=$(probe add f --v0 --trickle | jq -r .cid)
	assert_equal "$t" "$(raw_add f 'cid-version=0&raw-leaves=false&chunker=size-262144&trickle=true')"
	[ "$t" != "$(jq -r .cid <<<"$output")" ]
	: >empty
	run probe add empty
	assert_success
	assert_equal "$(jq -r .cid <<<"$output")" "$(raw_add empty 'cid-version=1&raw-leaves=true')"
	probe cat "$(jq -r .cid <<<"$output")" >back
	[ ! -s back ]
}

@test "add: upload progress is reported; --no-pin leaves it unpinned" {
	gen_bytes prog 2000000 >f
	run probe add f --progress --no-pin
	assert_success
	jq -e '.progress_calls > 1' <<<"$output"
	C=$(jq -r .cid <<<"$output")
	run ipfs_rpc 1 pin/ls "arg=$C"
	assert_output --partial "is not pinned"
}

@test "cat with offset and length" {
	gen_bytes range 100000 >f
	C=$(probe add f | jq -r .cid)
	probe cat "$C" 1000 500 >part
	tail -c +1001 f | head -c 500 | cmp - part
	probe cat "/ipfs/$C" 99990 >tail
	tail -c 10 f | cmp - tail
}

@test "pin add, ls, check, rm: the node's pin set follows" {
	gen_bytes pin 5000 >f
	C=$(probe add f --no-pin | jq -r .cid)
	run probe pin-check "$C"
	assert_output "unpinned "
	probe pin-add "$C"
	assert_equal "$(ipfs_rpc 1 pin/ls "arg=$C" | jq -r ".Keys[\"$C\"].Type")" recursive
	run probe pin-check "$C"
	assert_output "pinned recursive"
	run probe pin-ls
	assert_line "$C recursive"
	probe pin-rm "$C"
	run ipfs_rpc 1 pin/ls "arg=$C"
	assert_output --partial "is not pinned"
	run probe pin-rm "$C"
	assert_failure 70
	assert_line --partial '"kind":"http"'
	assert_line --partial "not pinned"
}

@test "files mkdir/cp/stat/ls/rm, then get the directory and a file" {
	gen_bytes f1 200000 >a
	gen_bytes f2 3000 >b
	A=$(probe add a | jq -r .cid)
	B=$(probe add b | jq -r .cid)
	probe files-mkdir /t/sub
	probe files-cp "/ipfs/$A" /t/a.bin
	probe files-cp "/ipfs/$B" /t/sub/b.txt
	run probe files-ls /t
	assert_success
	assert_line "a.bin 0 200000 $A"
	assert_line --regexp '^sub 1 '
	read -r type D size cum < <(probe files-stat /t)
	assert_equal "$type" directory
	assert_equal "$D" "$(ipfs_rpc 1 files/stat arg=/t | jq -r .Hash)"
	probe get "$D" out
	cmp a out/a.bin
	cmp b out/sub/b.txt
	probe get "$A" "$PWD/one"   # absolute dest
	cmp a one
	run probe get "$A" one
	assert_failure 73
	assert_output --partial "already exists"
	probe files-rm /t
	run probe files-stat /t
	assert_failure 70
	assert_output --partial "does not exist"
}

@test "dag export on node 1, import on node 2: roots pinned there, the same CAR back" {
	gen_bytes dag 2500000 >f
	probe files-mkdir /d
	C=$(probe add f | jq -r .cid)
	probe files-cp "/ipfs/$C" /d/f
	read -r _ D _ < <(probe files-stat /d)
	probe dag-export "$D" >d.car
	run probe2 dag-import d.car
	assert_success
	assert_output "$D"
	assert_equal "$(ipfs_rpc 2 pin/ls "arg=$D" | jq -r ".Keys[\"$D\"].Type")" recursive
	probe2 dag-export "$D" | cmp - d.car
	cat d.car | probe2 dag-import - --no-pin
	probe files-rm /d
}

@test "block put, get, stat" {
	printf 'a raw block for wanda' >blk
	run probe block-put blk
	assert_success
	B=$output
	assert_equal "$(ipfs_rpc 1 block/stat "arg=$B" | jq -r .Size)" 21
	probe block-get "$B" | cmp - blk
	run probe block-stat "$B"
	assert_success
	read -r key size <<<"$output"
	assert_equal "$size" 21
	# Kubo spells the CID the same in block/put and block/stat
	assert_equal "$key" "$B"
	probe cid-equal "$key" "$B"
	run probe cid-equal "$key" "$(ipfs_peer_id 1)"
	assert_failure 1
	# a raw-codec CIDv1
	[[ $B == bafk* ]]
}

@test "key gen (ed25519), list, find; a second gen of a name fails" {
	run probe key-gen wanda-test
	assert_success
	read -r name id <<<"$output"
	assert_equal "$name" wanda-test
	[[ $id == k51qzi5uqu5d* ]]     # ed25519 libp2p-key CID in base36; RSA is k2k4r8...
	run probe key-list
	assert_line "wanda-test $id"
	assert_line "self $(ipfs_rpc 1 id peerid-base=base36 | jq -r .ID)"
	assert_equal "$(grep -c '^wanda-test ' <<<"$output")" 1
	run probe key-find wanda-test
	assert_output "wanda-test $id"
	run probe key-find nothing-here
	assert_output none
	run probe key-gen wanda-test
	assert_failure
	assert_output --partial "already exists"
}

@test "name publish with a key, resolve it" {
	probe key-gen ipns-test >/dev/null
	gen_bytes ipns 1000 >f
	C=$(probe add f | jq -r .cid)
	run probe name-publish "/ipfs/$C" ipns-test
	assert_success
	read -r name value <<<"$output"
	assert_equal "$value" "/ipfs/$C"
	assert_equal "$name" "$(probe key-find ipns-test | cut -d' ' -f2)"
	run probe name-resolve "$name"
	assert_output "/ipfs/$C"
	run probe name-resolve "/ipns/$name"
	assert_output "/ipfs/$C"
}

@test "pubsub: a message published on node 1 reaches a subscriber on node 2" {
	probe2 sub wanda/test 2 ready 30000 >msgs 2>sub.err 3>&- &
	pid=$!
	for _ in $(seq 300); do [ -e ready ] && break; sleep 0.1; done
	[ -e ready ]
	sleep 1      # let the subscription reach node 1
	probe pub wanda/test 'hello, node 2'
	probe pub wanda/test '{"v":1}'
	wait "$pid"
	run jq -r .data msgs
	assert_output $'hello, node 2\n{"v":1}'
	assert_equal "$(jq -r .from msgs | sort -u)" "$(ipfs_peer_id 1)"
	assert_equal "$(jq -r .topic msgs | sort -u)" wanda/test
}

@test "pubsub sub: the callback's error ends the subscription with its code" {
	run probe sub wanda/quiet 1 "" 1000
	assert_failure 75
	assert_output --partial "no message after 1000 ms"
	assert_output --partial '"kind":"aborted"'
}

@test "swarm peers and connect" {
	run probe swarm-peers
	assert_success
	assert_line --partial "$(ipfs_peer_id 2)"
	probe swarm-connect "$(ipfs_swarm_addr 2)"
	run probe swarm-connect /ip4/127.0.0.1/tcp/1/p2p/12D3KooWPVKLBKjvTegxYvwNSyeQ1PfCNVWpEBfdtdgZgp9Xi8h1
	assert_failure
	assert_output --partial '"kind":"http"'
}

@test "routing provide (with a connected peer)" {
	gen_bytes prov 1000 >f
	C=$(probe add f | jq -r .cid)
	run probe provide "$C"
	assert_success
}

@test "bitswap: node 2 cats what node 1 added" {
	gen_bytes swap 1200000 >f
	C=$(probe add f | jq -r .cid)
	probe2 cat "$C" | cmp - f
}

@test "rpc: any other command as JSON" {
	gen_bytes rpc 100 >f
	C=$(probe add f | jq -r .cid)
	run probe rpc pin/ls "arg=$C" type=recursive
	assert_success
	assert_equal "$(jq -r ".Keys[\"$C\"].Type" <<<"$output")" recursive
}

@test "unreachable daemon: kind unreachable, exit 69, retried" {
	port=$(ipfs_dead_port)
	run probe -a "http://127.0.0.1:$port" -r 2 id
	assert_failure 69
	assert_line --partial '"kind":"unreachable"'
	assert_line --partial '"attempts":3'
	assert_line --partial '"permanent":false'
	assert_line --partial "127.0.0.1:$port"
}

@test "bad CID: an http error with the node's message, not retried" {
	run probe cat not-a-cid
	assert_failure 70
	assert_line --partial '"kind":"http"'
	assert_line --partial '"http_status":500'
	assert_line --partial '"attempts":1'
	assert_output --partial 'cat: HTTP 500: invalid path "not-a-cid"'
}

@test "cat of a directory: the node's 500 and its message" {
	probe files-mkdir /catdir
	read -r _ D _ < <(probe files-stat /catdir)
	run probe cat "$D"
	assert_failure 70
	assert_output --partial "this dag node is a directory"
	probe files-rm /catdir
}

@test "WANDA_API and IPFS_PATH/api both lead to the node" {
	run env WANDA_API= "$PROBE" id
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" "$(ipfs_peer_id 1)"
	run env WANDA_API="$(ipfs_api 2)" "$PROBE" id
	assert_equal "$(jq -r .id <<<"$output")" "$(ipfs_peer_id 2)"
}
