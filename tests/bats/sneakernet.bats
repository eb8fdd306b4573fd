#!/usr/bin/env bats
# wanda-sync export / import: sessions carried on a disk between two Kubo
# nodes that are never connected (two separate tests/ipfs-node starts on
# loopback: neither knows the other's address, no bootstrap, no mDNS).
load helper
load ipfs
load sync

setup_file() {
	local d=$BATS_FILE_TMPDIR
	"$IPFS_NODE_SCRIPT" start 1 "$d/ipfsA" || return
	"$IPFS_NODE_SCRIPT" start 1 "$d/ipfsB" || return
	# node 1 = A, node 2 = B for the helpers of ipfs.bash and sync.bash
	mkdir -p "$d/ipfs"
	ln -s "$d/ipfsA/node1" "$d/ipfs/node1"
	ln -s "$d/ipfsB/node1" "$d/ipfs/node2"
	export IPFS_NODE_DIR=$d/ipfs A
	A=$(ipfs_peer_id 1)
	capture 1 m42-2026-11-23 6 >/dev/null || return
	capture 1 m31-2026-11-24 4 >/dev/null || return
	capture 1 m45-2026-11-24 3 >/dev/null
}

teardown_file() {
	"$IPFS_NODE_SCRIPT" stop "$BATS_FILE_TMPDIR/ipfsA"
	"$IPFS_NODE_SCRIPT" stop "$BATS_FILE_TMPDIR/ipfsB"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	stick=$BATS_FILE_TMPDIR/stick
}

# copy_stick DIR: a copy of the exported stick to tamper with
copy_stick() { rm -rf "$1"; cp -a "$stick" "$1"; }

# fix_manifest DIR FILE: make the manifest agree with FILE as it is now (size, sha256)
fix_manifest() {
	jq --arg f "$2" --argjson size "$(stat -c %s "$1/$2")" --arg sha "$(sha256sum "$1/$2" | cut -c1-64)" \
		'(.sessions[] | select(.file == $f)) |= (.size = $size | .sha256 = $sha)' \
		"$1/wanda-export.json" >"$1/m.tmp"
		mv "$1/m.tmp" "$1/wanda-export.json"
}

@test "the two nodes are not connected" {
	assert_equal "$(ipfs_rpc 1 swarm/peers | jq '.Peers // [] | length')" 0
	assert_equal "$(ipfs_rpc 2 swarm/peers | jq '.Peers // [] | length')" 0
}

@test "export: one verified CAR per selected session and a manifest" {
	run --separate-stderr on 1 wanda-sync export --session 'm4*' -o "$stick"
	assert_success
	assert_equal "$(jq -r '"\(.session) \(.state)"' <<<"$output" | sort | paste -sd,)" \
		"m42-2026-11-23 exported,m45-2026-11-24 exported"
	assert_file_exists "$stick/m42-2026-11-23.car"
	assert_file_not_exists "$stick/m31-2026-11-24.car"
	jq -e --arg a "$A" '.format == "wanda-export" and .version == 1 and .node == $a' "$stick/wanda-export.json"
	for f in m42-2026-11-23 m45-2026-11-24; do
		# the manifest's sha256, size and CID are the file's
		assert_equal "$(jq -r --arg f "$f.car" '.sessions[] | select(.file == $f) | .sha256' "$stick/wanda-export.json")" \
			"$(sha256sum "$stick/$f.car" | cut -c1-64)"
		assert_equal "$(jq -r --arg f "$f.car" '.sessions[] | select(.file == $f) | .cid' "$stick/wanda-export.json")" \
			"$(session_cid 1 "$f")"
		# an independent check of every block: wanda-dag verify and Kubo's own reader
		wanda-dag verify "$stick/$f.car" >/dev/null
	done
	assert_equal "$(ls -A "$stick" | paste -sd,)" "m42-2026-11-23.car,m45-2026-11-24.car,wanda-export.json"
}

@test "export again: CARs already on the stick are kept, a new session is added" {
	touch -d '2000-01-01' "$stick/m42-2026-11-23.car"
	run --separate-stderr on 1 wanda-sync export -o "$stick"
	assert_success
	assert_equal "$(jq -r '"\(.session) \(.state)"' <<<"$output" | sort | paste -sd,)" \
		"m31-2026-11-24 exported,m42-2026-11-23 kept,m45-2026-11-24 kept"
	assert_equal "$(stat -c %Y "$stick/m42-2026-11-23.car")" "$(date -d 2000-01-01 +%s)"
	assert_equal "$(jq '.sessions | length' "$stick/wanda-export.json")" 3
}

@test "export: a damaged CAR on the stick is written again, a killed export's temp file removed" {
	copy_stick s2
	head -c 1000 "$stick/m45-2026-11-24.car" >s2/m45-2026-11-24.car
	head -c 5000 "$stick/m31-2026-11-24.car" >s2/.m31-2026-11-24.car.tmp.Ab12Cd
	rm s2/m31-2026-11-24.car
	run --separate-stderr on 1 wanda-sync export --session 'm[34]*' -o s2
	assert_success
	assert_equal "$(jq -r '"\(.session) \(.state)"' <<<"$output" | sort | paste -sd,)" \
		"m31-2026-11-24 exported,m42-2026-11-23 kept,m45-2026-11-24 exported"
	cmp s2/m45-2026-11-24.car "$stick/m45-2026-11-24.car"
	cmp s2/m31-2026-11-24.car "$stick/m31-2026-11-24.car"
	assert_equal "$(ls -A s2 | paste -sd,)" "m31-2026-11-24.car,m42-2026-11-23.car,m45-2026-11-24.car,wanda-export.json"
}

@test "import: a corrupted block is refused, naming the file, and nothing of it imported" {
	copy_stick bad
	f=bad/m45-2026-11-24.car
	size=$(stat -c %s "$f")
	# flip one byte near the end: inside the data of a block
	printf '\xff' | dd of="$f" bs=1 seek=$((size - 10)) conv=notrunc status=none
	cmp -s "$f" "$stick/m45-2026-11-24.car" && false
	fix_manifest bad m45-2026-11-24.car
	jq '.sessions |= map(select(.file == "m45-2026-11-24.car"))' bad/wanda-export.json >m
	mv m bad/wanda-export.json
	run --separate-stderr on 2 wanda-sync import bad
	assert_failure 65
	assert_equal "$(jq -r '"\(.file) \(.state)"' <<<"$output")" "m45-2026-11-24.car failed"
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_output --partial "bad/m45-2026-11-24.car: offset"
	# nothing of that CAR reached B: not even its root block
	run ipfs_rpc 2 block/stat "arg=$(session_cid 1 m45-2026-11-24)&offline=true"
	assert_output --partial "not found"
}

@test "import: a truncated CAR is refused, cut inside a block or between blocks" {
	copy_stick cut
	f=cut/m45-2026-11-24.car
	truncate -s $(($(stat -c %s "$f") / 2)) "$f"
	jq '.sessions |= map(select(.file == "m45-2026-11-24.car"))' cut/wanda-export.json >m
	mv m cut/wanda-export.json
	run --separate-stderr on 2 wanda-sync import cut
	assert_failure 65
	assert_equal "$(wc -l <<<"$stderr")" 1
	assert_regex "$stderr" "^wanda-sync: cut/m45-2026-11-24.car: offset [0-9]+: truncated"
	# cut right after the header and the root block, manifest made to agree:
	# every block there is sound, but the DAG is not all there
	python3 - "$stick/m45-2026-11-24.car" >"$f" <<-'PY'
	import sys
	b = open(sys.argv[1], "rb").read()
	def varint(i):
	    n = shift = 0
	    while True:
	        c = b[i]; n |= (c & 0x7f) << shift; shift += 7; i += 1
	        if c < 0x80: return n, i
	n, i = varint(0)
	end = i + n
	n, i = varint(end)
	sys.stdout.buffer.write(b[:i + n])
	PY
	fix_manifest cut m45-2026-11-24.car
	run --separate-stderr on 2 wanda-sync import cut
	assert_failure 65
	assert_regex "$stderr" "^wanda-sync: cut/m45-2026-11-24.car: incomplete DAG: block [a-z0-9]+ is missing$"
	run ipfs_rpc 2 block/stat "arg=$(session_cid 1 m45-2026-11-24)&offline=true"
	assert_output --partial "not found"
}

@test "import: a block outside the announced DAG is refused" {
	copy_stick extra
	# m45's CAR followed by m31's blocks (its sections, without its header)
	python3 - "$stick/m31-2026-11-24.car" >>extra/m45-2026-11-24.car <<-'PY'
	import sys
	b = open(sys.argv[1], "rb").read()
	n = shift = i = 0
	while True:
	    c = b[i]; n |= (c & 0x7f) << shift; shift += 7; i += 1
	    if c < 0x80: break
	sys.stdout.buffer.write(b[i + n:])
	PY
	fix_manifest extra m45-2026-11-24.car
	jq '.sessions |= map(select(.file == "m45-2026-11-24.car"))' extra/wanda-export.json >m
	mv m extra/wanda-export.json
	run --separate-stderr on 2 wanda-sync import extra
	assert_failure 65
	assert_output --partial "extra/m45-2026-11-24.car: offset"
	assert_output --partial "is outside the announced DAG"
	run ipfs_rpc 2 block/stat "arg=$(session_cid 1 m31-2026-11-24)&offline=true"
	assert_output --partial "not found"
}

@test "import: the stick's sessions pinned on B with no network, recorded as A's mirrors" {
	run --separate-stderr on 2 wanda-sync import "$stick"
	assert_success
	assert_equal "$(jq -r '"\(.session) \(.state)"' <<<"$output" | sort | paste -sd,)" \
		"m31-2026-11-24 pinned,m42-2026-11-23 pinned,m45-2026-11-24 pinned"
	for s in m31-2026-11-24 m42-2026-11-23 m45-2026-11-24; do
		pinned 2 "$(session_cid 1 "$s")"
		assert_equal "$(sync_state 2 "$A" "$s" state)" pinned
	done
	# every image readable on B offline, byte for byte
	for sc in "$BATS_FILE_TMPDIR"/home1/captures/m42-2026-11-23/*.json; do
		ipfs_rpc 2 cat "arg=$(jq -r .cid "$sc")&offline=true" >img
		cmp img "${sc%.json}.jpg"
	done
	assert_equal "$(ipfs_rpc 2 swarm/peers | jq '.Peers // [] | length')" 0
	run --separate-stderr on 2 wanda-sync status
	assert_equal "$(jq -r 'select(.pinned != null) | "\(.peer) \(.pinned)"' <<<"$output")" "$A 3"
}

@test "export --mirrors: B carries A's sessions on to a third place" {
	run --separate-stderr on 2 wanda-sync export --mirrors --session 'm42*' -o onward
	assert_success
	assert_equal "$(jq -r '"\(.peer) \(.session) \(.state)"' <<<"$output")" "$A m42-2026-11-23 exported"
	assert_file_exists "onward/mirror-$A-m42-2026-11-23.car"
	wanda-dag verify "onward/mirror-$A-m42-2026-11-23.car" >/dev/null
}

@test "import: a FIFO or a symlink on the stick in place of a CAR is refused at once, not waited on or followed" {
	copy_stick odd
	rm odd/m42-2026-11-23.car
	mkfifo odd/m42-2026-11-23.car
	run --separate-stderr on 2 timeout 60 wanda-sync import odd
	assert_failure 65
	[[ $stderr == *"odd/m42-2026-11-23.car: not a regular file"* ]] || fail "stderr: $stderr"
	rm odd/m42-2026-11-23.car
	ln -s "$stick/m42-2026-11-23.car" odd/m42-2026-11-23.car
	run --separate-stderr on 2 timeout 60 wanda-sync import odd
	assert_failure 65
	[[ $stderr == *"odd/m42-2026-11-23.car: a symlink, not a regular file"* ]] || fail "stderr: $stderr"
}

@test "import: a manifest naming a file outside the stick is refused" {
	copy_stick evil
	jq '.sessions[0].file = "../../etc/passwd.car"' evil/wanda-export.json >m
	mv m evil/wanda-export.json
	run --separate-stderr on 2 wanda-sync import evil
	assert_failure 65
	assert_output --partial "bad file name in the manifest"
	run --separate-stderr on 2 wanda-sync import nowhere
	assert_failure 66
	assert_equal "$stderr" "wanda-sync: nowhere/wanda-export.json: No such file or directory"
}
