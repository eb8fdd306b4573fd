#!/usr/bin/env bats
# wanda-sync get / cat against real IPFS nodes (two: bitswap between them).
load helper
load ipfs
load push

setup_file() { ipfs_start 2; }
teardown_file() { ipfs_stop; }

setup() { wanda_fresh_workdir; }

teardown() { faultd_stop; }

# add_dir NODE QUERY FILE=NAME...: add files as one directory tree on NODE
# through the raw RPC (not WANDA's client); prints the root CID.
add_dir() {
	local node=$1 q=$2 args=() a
	shift 2
	for a in "$@"; do
		args+=(-F "file=@${a%%=*};filename=${a#*=};type=application/octet-stream")
	done
	curl -sS -m 120 -X POST "${args[@]}" "$(ipfs_api "$node")/api/v0/add?$q" | tail -1 | jq -r .Hash
}

@test "cat: the bytes of a pushed file" {
	gen_bytes c1 2500000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	wanda-sync cat "$cid" >back
	cmp f back
}

@test "cat of an empty file writes nothing" {
	: >z
	cid=$(json_get "$(wanda-push z)" .cid)
	run --separate-stderr wanda-sync cat "$cid"
	assert_success
	assert_output ""
}

@test "get a file: written as DIR/CID, verified against its DAG" {
	gen_bytes g1 3500000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_success
	cmp f "out/$cid"
	assert_equal "$(json_get "${lines[0]}" .path)" "out/$cid"
	assert_equal "$(json_get "${lines[0]}" .verified)" dag
	assert_equal "$(json_get "${lines[0]}" .size)" 3500000
	assert_equal "$(json_get "${lines[-1]}" .files)" 1
	assert_equal "$(json_get "${lines[-1]}" .verified)" true
}

@test "get a directory added with Kubo's default profile (CIDv0, dag-pb leaves, 256 KiB)" {
	gen_bytes d1 700000 >a; printf hello >b; : >e
	cid=$(add_dir 1 "progress=false" a=d%2Fa.bin b=d%2Fsub%2Fb.txt e=d%2Fsub%2Fempty)
	[[ $cid == Qm* ]] || fail "not a v0 CID: $cid"
	run --separate-stderr wanda-sync --output out get "$cid"
	assert_success
	cmp a "out/$cid/a.bin"
	cmp b "out/$cid/sub/b.txt"
	cmp e "out/$cid/sub/empty"
	assert_equal "$(json_get "${lines[-1]}" .files)" 3
	assert_equal "$(json_get "${lines[-1]}" .bytes)" 700005
	for i in 0 1 2; do assert_equal "$(json_get "${lines[$i]}" .verified)" dag; done
}

@test "get a directory with WANDA's profile, in the current directory by default" {
	gen_bytes d2 2200000 >a; gen_bytes d3 10 >b
	cid=$(add_dir 1 "cid-version=1&raw-leaves=true&chunker=size-1048576" a=s%2Fa.jpg b=s%2Fb.json)
	run --separate-stderr wanda-sync get "$cid"
	assert_success
	cmp a "$cid/a.jpg"
	cmp b "$cid/b.json"
}

@test "two nodes: push on A, get on B over bitswap" {
	gen_bytes two 4200000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	run ipfs_rpc 2 pin/ls "arg=$cid"
	assert_output --partial "not pinned"
	run --separate-stderr wanda-sync --api "$(ipfs_api 2)" get -o out "$cid"
	assert_success
	cmp f "out/$cid"
	assert_equal "$(json_get "${lines[0]}" .verified)" dag
	wanda-sync --api "$(ipfs_api 2)" cat "$cid" | cmp - f
}

@test "a corrupted transfer is caught by the verification (65)" {
	gen_bytes k1 300000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	faultd_start -u "$(node_hostport)" -m /api/v0/get corrupt
	run --separate-stderr wanda-sync --api "$FAULTD_URL" get -o out "$cid"
	assert_failure 65
	[[ $stderr == *"do not match"* ]] || fail "stderr: $stderr"
}

@test "get: a damaged tar stream is a protocol error naming the CID (76), nothing written" {
	# faultd flips a byte 2000 bytes into the answer: for a 1000-byte file
	# that is in the tar's end blocks, which then fail their checksum
	gen_bytes t1 1000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	faultd_start -u "$(node_hostport)" -m /api/v0/get corrupt
	run --separate-stderr wanda-sync --api "$FAULTD_URL" get -o out "$cid"
	assert_failure 76
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "stderr: $stderr"
	[[ $stderr == *"get: $cid: tar stream: Damaged tar archive"* ]] || fail "stderr: $stderr"
	[ -z "$(ls -A out)" ]
}

@test "get refuses to overwrite an existing DIR/CID (73)" {
	gen_bytes o1 1000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_success
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_failure 73
	cmp f "out/$cid"
}

@test "bad arguments: a bad CID 65, unknown command or missing CID 64" {
	run --separate-stderr wanda-sync get notacid
	assert_failure 65
	run --separate-stderr wanda-sync frob x
	assert_failure 64
	run --separate-stderr wanda-sync get
	assert_failure 64
	run --separate-stderr wanda-sync cat a b
	assert_failure 64
}

@test "an unreachable daemon: 69" {
	run --separate-stderr wanda-sync --api "http://127.0.0.1:$(ipfs_dead_port)" cat bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
	assert_failure 69
}

@test "--jq reshapes get's output" {
	gen_bytes j1 1000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	run --separate-stderr wanda-sync --jq 'select(.files) | .bytes' get -o out "$cid"
	assert_success
	assert_output 1000
}

# kubo_cli ARGS...: Kubo's own CLI against node 1 (to build hostile DAGs
# that WANDA's tools would never make).
kubo_cli() { IPFS_PATH=$(ipfs_repo 1) "$("$BATS_TEST_DIRNAME/../kubo-build")" "$@"; }

# dag_dir NAME=CID...: a dag-pb UnixFS directory with exactly these links
# (names are free text in dag-pb); prints its CID.
dag_dir() {
	local links="" a
	for a in "$@"; do
		links+="${links:+,}{\"Hash\":{\"/\":\"${a#*=}\"},\"Name\":\"${a%%=*}\",\"Tsize\":1}"
	done
	echo "{\"Data\":{\"/\":{\"bytes\":\"CAE\"}},\"Links\":[$links]}" |
		kubo_cli dag put --store-codec dag-pb --input-codec dag-json
}

@test "get: a symlink that leaves the download through another symlink is refused, nothing written" {
	mkdir -p top/d
	ln -s .. top/d/x
	ln -s x/d/x/d/x/d/x/d/x/d/x/d/../../../../../../../../../../../../etc top/d/y
	cid=$(kubo_cli add -r -Q top)
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_failure 76
	[[ $stderr == *"d/y: symlink out of the download"* ]] || fail "stderr: $stderr"
	[ ! -e "out/$cid" ]
	[ -z "$(ls out)" ]
}

@test "get: symlinks that stay inside, even through each other, are kept" {
	mkdir -p top/d
	echo hi >top/f
	ln -s .. top/d/x
	ln -s x/d/x/f top/d/y
	cid=$(kubo_cli add -r -Q top)
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_success
	assert_equal "$(readlink "out/$cid/d/y")" x/d/x/f
	assert_equal "$(cat "out/$cid/d/y")" hi
}

@test "get: a file 'a' and a file 'a/b' in one DAG: refused with both names, 76" {
	f=$(echo hello | kubo_cli add -Q --cid-version=1)
	cid=$(dag_dir a="$f" a/b="$f")
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_failure 76
	assert_equal "$stderr" "wanda-sync: get: $cid/a/b: inside something that is not a directory"
	[ -z "$(ls out)" ]
}

@test "get: a link named '.' cannot turn a directory into the attacker's file" {
	f=$(echo attacker | kubo_cli add -Q --cid-version=1)
	cid=$(dag_dir .="$f")
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_failure 76
	[[ $stderr == *"$cid"*"twice in the archive"* ]] || fail "stderr: $stderr"
	[ -z "$(ls out)" ]
}

@test "get: content that fails verification never appears under its CID; a rerun works" {
	gen_bytes v1 300000 >f
	cid=$(json_get "$(wanda-push f)" .cid)
	faultd_start -u "$(node_hostport)" -m /api/v0/get corrupt
	run --separate-stderr wanda-sync --api "$FAULTD_URL" get -o out "$cid"
	assert_failure 65
	[ -z "$(ls out)" ]
	run --separate-stderr wanda-sync get -o out "$cid"
	assert_success
	cmp f "out/$cid"
}

@test "get: a UTF-8 name (café.jpg) is written under C.UTF-8 and under the C locale" {
	mkdir -p top
	gen_bytes u1 1000 >top/café.jpg
	cid=$(kubo_cli add -r -Q top)
	for loc in C.UTF-8 C; do
		LC_ALL=$loc run --separate-stderr wanda-sync get -o "out.$loc" "$cid"
		assert_success
		cmp top/café.jpg "out.$loc/$cid/café.jpg"
	done
}
