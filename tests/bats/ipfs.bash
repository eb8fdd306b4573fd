# bats helpers for a real IPFS node (tests/ipfs-node; docs/ipfs-test-node.md).
# A node takes seconds to start, so start it once per file:
#   load helper
#   load ipfs
#   setup_file()    { ipfs_start 1; }
#   teardown_file() { ipfs_stop; }
# Tests see what setup_file exported (WANDA_API, IPFS_NODE_DIR...), and
# the functions here because the file loads them at top level.
IPFS_NODE_SCRIPT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/ipfs-node"

# harness_start SCRIPT DIR ARGS...: SCRIPT start ARGS... (tests/ipfs-node,
# tests/cluster-node), then the variables it wrote to DIR/env, exported.
harness_start() {
	local script=$1 dir=$2
	shift 2
	"$script" start "$@" || return
	# shellcheck disable=SC1091
	. "$dir/env"
}

# harness_stop SCRIPT DIR: SCRIPT stop DIR; safe when start failed
# half-way (DIR set, nothing running), and when called twice.
harness_stop() {
	[ -n "$2" ] || return 0
	"$1" stop "$2"
}

# ipfs_start N: N nodes (1-3), connected; exports WANDA_API (node 1),
# IPFS_PATH (node 1's repo), IPFS_NODE_DIR, IPFS_NODES.
ipfs_start() {
	export IPFS_NODE_DIR="$BATS_FILE_TMPDIR/ipfs"
	harness_start "$IPFS_NODE_SCRIPT" "$IPFS_NODE_DIR" "${1:-1}" "$IPFS_NODE_DIR"
}

ipfs_stop() { harness_stop "$IPFS_NODE_SCRIPT" "${IPFS_NODE_DIR:-}"; }

# Kubo's init pins the empty UnixFS directory on every fresh repo.
IPFS_EMPTY_DIR=QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn

# ipfs_api K / ipfs_gateway K / ipfs_peer_id K / ipfs_swarm_addr K / ipfs_repo K
ipfs_api()        { cat "$IPFS_NODE_DIR/node${1:-1}/api_url"; }
ipfs_gateway()    { cat "$IPFS_NODE_DIR/node${1:-1}/gateway_url"; }
ipfs_peer_id()    { cat "$IPFS_NODE_DIR/node${1:-1}/peer_id"; }
ipfs_swarm_addr() { cat "$IPFS_NODE_DIR/node${1:-1}/swarm_addr"; }
ipfs_repo()       { echo "$IPFS_NODE_DIR/node${1:-1}/repo"; }

# ipfs_rpc K CMD [QUERY]: raw POST to node K's RPC API (for assertions that
# must not go through WANDA's own client), body on stdout.
ipfs_rpc() {
	curl -sS -m 60 -X POST "$(ipfs_api "$1")/api/v0/$2${3:+?$3}"
}

# A port where nothing listens (bound then released by the kernel's choice).
ipfs_dead_port() {
	node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}
