# Helpers shared by push.bats, push-faults.bats and sync.bats.

# ref_cid FILE [LINKS]: the CID of FILE under unixfs-v1-2025 (CIDv1, raw
# leaves, sha2-256, 1 MiB chunks, LINKS (1024) links, balanced) from an
# independent implementation: JS ipfs-unixfs-importer from tests/node_modules.
ref_cid() {
	local f links=${2:-1024}
	f=$(realpath "$1") || return
	(cd "$TOP/tests" && node --input-type=module -e '
		import { importer } from "ipfs-unixfs-importer";
		import { fixedSize } from "ipfs-unixfs-importer/chunker";
		import { balanced } from "ipfs-unixfs-importer/layout";
		import fs from "node:fs";
		const bs = { put: async (c) => c, get: async () => { throw new Error("none"); }, has: async () => false };
		const opts = { cidVersion: 1, rawLeaves: true, chunker: fixedSize({ chunkSize: 1048576 }),
			layout: balanced({ maxChildrenPerNode: Number(process.argv[2]) }), reduceSingleLeafToSelf: true };
		let last;
		for await (const e of importer([{ content: fs.createReadStream(process.argv[1]) }], bs, opts)) last = e;
		console.log(last.cid.toV1().toString());
	' "$f" "$links")
}

# kubo_before V: node 1 is a Kubo older than V (tests/run --kubo)
kubo_before() {
	local v
	v=$(ipfs_rpc 1 version | jq -r .Version) || return 2
	[ "$v" != "$1" ] || return 1
	[ "$(printf '%s\n%s\n' "$v" "$1" | sort -V | head -1)" = "$v" ]
}

# recursive_pins: how many recursive pins the node has
recursive_pins() { ipfs_rpc 1 pin/ls type=recursive | jq '.Keys | length'; }

# not_pinned_on_node CID: the node does not list CID as a pin
not_pinned_on_node() {
	run ipfs_rpc 1 pin/ls "arg=$1"
	refute_output --partial '"Type":"recursive"'
}

# cid_eq A B: two CID strings name the same CID (bases may differ).
cid_eq() {
	(cd "$TOP/tests" && node --input-type=module -e '
		import { CID } from "multiformats/cid";
		import { base58btc } from "multiformats/bases/base58";
		const p = (s) => s.startsWith("z") ? CID.parse(s, base58btc) : CID.parse(s);
		process.exit(p(process.argv[1]).equals(p(process.argv[2])) ? 0 : 1);
	' "$1" "$2")
}

# json_get JSON FILTER: one value from a JSON line, through jq -r.
json_get() { jq -r "$2" <<<"$1"; }

# faultd_start [ARGS...]: the fault server (tests/tools/faultd) in the
# background; sets FAULTD_URL, FAULTD_LOG, FAULTD_PID.
faultd_start() {
	local d="$BATS_TEST_TMPDIR/faultd.$RANDOM"
	mkdir -p "$d"
	FAULTD_LOG="$d/log"
	"$WANDA_TESTBIN/faultd" -p "$d/port" -l "$FAULTD_LOG" "$@" 3>&- &
	FAULTD_PID=$!
	for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.05; done
	[ -s "$d/port" ] || { echo "faultd did not start" >&2; return 1; }
	FAULTD_URL="http://127.0.0.1:$(cat "$d/port")"
}

faultd_stop() {
	[ -n "${FAULTD_PID:-}" ] || return 0
	kill "$FAULTD_PID" 2>/dev/null || true
	wait "$FAULTD_PID" 2>/dev/null || true
	FAULTD_PID=
}

# the node's host:port, for faultd -u
node_hostport() { local u; u=$(ipfs_api "${1:-1}"); echo "${u#http://}"; }

# pinned_on_node CID: the node itself (raw RPC) lists CID as a recursive pin
pinned_on_node() {
	run ipfs_rpc 1 pin/ls "arg=$1"
	assert_success
	assert_output --partial '"Type":"recursive"'
}
