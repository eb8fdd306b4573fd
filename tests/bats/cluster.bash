# bats helpers for a real 3-peer IPFS Cluster (tests/cluster-node) beside
# the 3 Kubo nodes of tests/ipfs-node. Start both once per file:
#   load helper; load ipfs; load cluster
#   setup_file()    { ipfs_start 3 && cluster_start; }
#   teardown_file() { cluster_stop; ipfs_stop; }
CLUSTER_NODE_SCRIPT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)/cluster-node"

# cluster_start: exports CLUSTER_DIR, CLUSTER_BIN, CLUSTER_REST (peer 1),
# CLUSTER_PSA (peer 1's Pinning Service API), CLUSTER_AUTH (user:password).
cluster_start() {
	export CLUSTER_DIR="$BATS_FILE_TMPDIR/cluster"
	harness_start "$CLUSTER_NODE_SCRIPT" "$CLUSTER_DIR" "$CLUSTER_DIR" "$IPFS_NODE_DIR"
}

cluster_stop() { harness_stop "$CLUSTER_NODE_SCRIPT" "${CLUSTER_DIR:-}"; }

# cluster_stop_peer K / cluster_start_peer K
cluster_stop_peer()  { "$CLUSTER_NODE_SCRIPT" stop-peer "$CLUSTER_DIR" "$1"; }
cluster_start_peer() { "$CLUSTER_NODE_SCRIPT" start-peer "$CLUSTER_DIR" "$1"; }

# cluster_ctl K ARGS...: ipfs-cluster-ctl against peer K's REST API.
cluster_ctl() {
	local k=$1
	shift
	"$CLUSTER_BIN/ipfs-cluster-ctl" --host "$(cat "$CLUSTER_DIR/peer$k/rest_maddr")" \
		--basic-auth "$CLUSTER_AUTH" --force-http "$@"
}

# cluster_pinned_peers CID: the names (peerK) of the peers that report it
# pinned, one a line, sorted, as ipfs-cluster-ctl status says.
cluster_pinned_peers() {
	cluster_ctl 1 --enc=json status "$1" | jq -r '.peer_map[] | select(.status == "pinned") | .peername' | sort
}

# cluster_valid_metrics: the peers (peerK, sorted, comma-separated) peer 1
# holds a live freespace metric of: those an allocation may pick.
cluster_valid_metrics() {
	local ids k
	ids=$(curl -sf -m 5 -u "$CLUSTER_AUTH" "$CLUSTER_REST/monitor/metrics/freespace" | jq -r '.[] | select(.valid) | .peer')
	for k in 1 2 3; do
		if grep -qxF "$(cat "$CLUSTER_DIR/peer$k/peer_id")" <<<"$ids"; then echo "peer$k"; fi
	done | paste -sd,
}
