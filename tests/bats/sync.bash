# bats helpers for wanda-sync pull / sneakernet: node K of tests/ipfs-node
# as a WANDA node with its own WANDA_HOME. Load after helper and ipfs.

# home_of K: node K's WANDA_HOME (sync-netns.bats redefines it, and on,
# ipfs_api and ipfs_peer_id, for the nodes of tests/netns-nodes).
home_of() { echo "$BATS_FILE_TMPDIR/home$1"; }

# on K CMD...: run CMD as node K (its WANDA_HOME, WANDA_API and IPFS_PATH).
on() {
	(node_env "$1" && shift && exec "$@")
}

# node_env K: export node K's environment into this (sub)shell.
node_env() {
	[ -e "$BATS_FILE_TMPDIR/wanda$1.conf" ] || : >"$BATS_FILE_TMPDIR/wanda$1.conf"
	export WANDA_HOME=$BATS_FILE_TMPDIR/home$1 WANDA_CONF=$BATS_FILE_TMPDIR/wanda$1.conf
	WANDA_API=$(ipfs_api "$1")
	IPFS_PATH=$(ipfs_repo "$1")
	export WANDA_API IPFS_PATH
}

# pinned K CID: is CID pinned recursively on node K? (raw RPC, not WANDA's client)
pinned() {
	ipfs_rpc "$1" pin/ls "arg=$2&type=recursive" | jq -e '.Keys | length == 1' >/dev/null
}

# received K: bytes node K's bitswap received so far
received() {
	ipfs_rpc "$1" bitswap/stat | jq -r .DataReceived
}

# session_cid K NAME: the CID node K's state/dags/NAME.json records
session_cid() {
	jq -r .cid "$(home_of "$1")/state/dags/$2.json"
}

# sync_state K PEER SESSION FIELD
sync_state() {
	jq -r --arg p "$2" --arg s "$3" ".peers[\$p].sessions[\$s].$4" "$(home_of "$1")/state/sync.json"
}

# capture K SESSION N [W H]: N test captures on node K (wanda-capture --source
# test), each image added to K's daemon with WANDA's profile and its sidecar
# marked pinned as wanda-push | wanda-queue ack would, then the session DAG
# and the node root built (wanda-dag session, wanda-dag root). Prints the root CID.
capture() {
	local k=$1 s=$2 n=$3 w=${4:-320} h=${5:-240} home sc img cid size api
	home=$(home_of "$k")
	api=$(ipfs_api "$k")
	on "$k" wanda-capture --source test --session "$s" --count "$n" --interval 0 --no-queue \
		--width "$w" --height "$h" --seed "$RANDOM" >/dev/null || return
	for sc in "$home/captures/$s"/*.json; do
		[ "$(jq -r '.ipfs.state // ""' "$sc")" = pinned ] && continue
		img=$home/captures/$s/$(jq -r .file "$sc")
		read -r cid size < <(on "$k" curl -sSf -m 120 -X POST -F "file=@$img" \
			"$api/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-1048576&hash=sha2-256&pin=true&cid-base=base32" |
			jq -r '"\(.Hash) \(.Size)"') || return
		jq --arg cid "$cid" --argjson size "$size" \
			'.cid = $cid | .tsize = $size | .ipfs = {state:"pinned", cid:$cid}' "$sc" >"$sc.tmp" &&
			mv "$sc.tmp" "$sc" || return
	done
	on "$k" wanda-dag session "$s" >/dev/null || return
	on "$k" wanda-dag root | jq -r .cid
}

# big_session K SESSION FILE: a session of node K whose one capture is FILE
# (any size: a cheap "big" session), built like capture does.
big_session() {
	local k=$1 s=$2 f=$3 home id cid size
	home=$(home_of "$k")
	id=20261124T030000Z-big-000001
	mkdir -p "$home/captures/$s"
	cp "$f" "$home/captures/$s/$id.jpg"
	read -r cid size < <(on "$k" curl -sSf -m 300 -X POST -F "file=@$f" \
		"$(ipfs_api "$k")/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-1048576&hash=sha2-256&pin=true&cid-base=base32" |
		jq -r '"\(.Hash) \(.Size)"') || return
	jq -n --arg id "$id" --arg s "$s" --arg cid "$cid" --argjson size "$size" \
		--argjson bytes "$(stat -c %s "$f")" \
		'{id:$id, session:$s, file:"\($id).jpg", bytes:$bytes, captured_at:"2026-11-24T03:00:00.000Z",
		  camera:"test", profile:"unixfs-v1-2025", cid:$cid, tsize:$size,
		  ipfs:{state:"pinned", cid:$cid}}' >"$home/captures/$s/$id.json"
	on "$k" wanda-dag session "$s" >/dev/null || return
	on "$k" wanda-dag root | jq -r .cid
}

# announce K FROM ROOT...: write node K's state/peers.json as wanda-discover
# would after hearing node FROM announce ROOT (several FROM ROOT pairs allowed).
announce() {
	local k=$1 home=$BATS_FILE_TMPDIR/home$1 peers='[]' now
	shift
	now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
	while [ $# -ge 2 ]; do
		peers=$(jq -c --arg p "$(ipfs_peer_id "$1")" --arg r "$2" --arg now "$now" \
			--arg a "$(ipfs_swarm_addr "$1")" \
			'. + [{peer:$p, ipns:"", root:$r, seq:1, sessions:1, addrs:[$a], caps:{},
			       free_bytes:1000000000, first_seen:$now, last_seen:$now, rtt_ms:null,
			       score:0.5, state:"alive"}]' <<<"$peers")
		shift 2
	done
	mkdir -p "$home/state"
	jq -n --arg now "$now" --argjson p "$peers" '{v:1, updated_at:$now, peers:$p}' \
		>"$home/state/peers.json.tmp"
		mv "$home/state/peers.json.tmp" "$home/state/peers.json"
}
