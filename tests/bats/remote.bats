#!/usr/bin/env bats
# wanda-remote: the remote pinning stage against a real 3-peer IPFS
# Cluster (its REST API and its Pinning Service API), each peer beside its
# own real Kubo; gc frees only what the local node and every remote target
# confirm.
load helper
load ipfs
load cluster

# The camera's own Kubo is not one of the cluster peers' Kubos: a
# Cluster peer unpins from its Kubo what the cluster allocated elsewhere,
# the camera's local pin included.
setup_file() {
	ipfs_start 3 && cluster_start || return
	export CAMERA_DIR="$BATS_FILE_TMPDIR/camera"
	"$IPFS_NODE_SCRIPT" start 1 "$CAMERA_DIR" || return
	export WANDA_API IPFS_PATH CAMERA_ID
	WANDA_API=$(cat "$CAMERA_DIR/node1/api_url")
	IPFS_PATH=$CAMERA_DIR/node1/repo
	CAMERA_ID=$(cat "$CAMERA_DIR/node1/peer_id")
	camera_connect
}

teardown_file() {
	cluster_stop
	ipfs_stop
	[ -z "${CAMERA_DIR:-}" ] || "$IPFS_NODE_SCRIPT" stop "$CAMERA_DIR"
}

# The camera's Kubo connects to the cluster peers' Kubos.
camera_connect() {
	local k
	for k in 1 2 3; do
		curl -sf -m 20 -X POST "$WANDA_API/api/v0/swarm/connect?arg=$(ipfs_swarm_addr "$k")" >/dev/null || return
	done
}

setup() {
	wanda_fresh_home
	camera_connect
	export WANDA_REMOTE_POLL=200ms WANDA_REMOTE_MAX_POLL=2s WANDA_REMOTE_BACKOFF=500ms WANDA_REMOTE_MAX_BACKOFF=2s
	printf '%s\n' "$CLUSTER_AUTH" >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	BG_PIDS=()
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	# a test that stopped cluster peers leaves them running for the next one
	for k in 1 2 3; do [ -f "$CLUSTER_DIR/peer$k/pid" ] || cluster_start_peer "$k"; done
}

# target NAME KIND URL [KEY=VALUE...]: a remote target in wanda.conf.
target() {
	local n=$1 kind=$2 url=$3 kv
	shift 3
	{
		echo "remote.$n.url = $url"
		echo "remote.$n.kind = $kind"
		echo "remote.$n.token_file = $BATS_TEST_TMPDIR/token"
		for kv in "$@"; do echo "remote.$n.${kv%%=*} = ${kv#*=}"; done
	} >>"$WANDA_CONF"
}

fleet() { target fleet cluster "$CLUSTER_REST" auth=basic replication_min=2 replication_max=2 "$@"; }

# capture N: N small test captures, queued; their ids on stdout.
capture() {
	local i
	for i in $(seq 1 "$1"); do
		wanda-capture --source test --width 320 --height 240 | jq -r .id
	done
}

# The whole pipeline, once.
pipeline() {
	wanda-queue watch --once | wanda-push --no-outbox | wanda-remote | wanda-queue ack
}

sidecar() { echo "$WANDA_HOME"/captures/*/"$1.json"; }
image() { echo "$WANDA_HOME"/captures/*/"$1.jpg"; }
cid_of() { jq -r .cid "$(sidecar "$1")"; }

# kubo_pins K CID: node K pins it (recursively).
kubo_pins() {
	ipfs_rpc "$1" pin/ls "arg=$2&type=recursive" | jq -e --arg c "$2" '.Keys[$c]' >/dev/null
}

@test "captures through the whole pipeline are pinned on 2 cluster peers; gc frees exactly those" {
	fleet
	ids=$(capture 3)
	run pipeline
	assert_success
	[ "$(jq -r 'select(.state == "done") | .id' <<<"$output" | wc -l)" -eq 3 ]
	# one more, pushed locally but never through the remote stage
	other=$(capture 1)
	wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack >/dev/null
	run wanda-remote drain --wait 120s
	assert_success
	# confirmed by the stage's worker or by drain, each once
	[ "$(jq -r 'select(.event == "remote_pinned") | .id' "$WANDA_HOME/events.jsonl" | sort)" = "$(sort <<<"$ids")" ]
	for id in $ids; do
		cid=$(cid_of "$id")
		peers=$(cluster_pinned_peers "$cid")
		[ "$(wc -l <<<"$peers")" -eq 2 ] || fail "$id: pinned on: $peers"
		for p in $peers; do kubo_pins "${p#peer}" "$cid" || fail "$id: $p's Kubo does not pin $cid"; done
		run jq -r '.remote.fleet | [.state, .request_id, (.peers | sort | join(",")), (.confirmed_at != null)] | join(" ")' "$(sidecar "$id")"
		assert_output "pinned $cid $(paste -sd, <<<"$peers") true"
	done
	run wanda-queue gc --keep-free 999999G
	assert_success
	[ "$(jq -r 'select(.summary | not) | .id' <<<"$output" | sort)" = "$(sort <<<"$ids")" ] || fail "gc: $output ids: $ids"
	[ "$(jq -r 'select(.summary) | .remote_unconfirmed' <<<"$output")" -eq 1 ]
	for id in $ids; do assert_file_not_exists "$(image "$id")"; done
	assert_file_exists "$(image "$other")"
}

@test "one cluster peer stopped: the other two reach replication 2" {
	fleet
	cluster_stop_peer 3
	# the allocator leaves a peer out once its metric has expired
	for _ in $(seq 1 200); do [ "$(cluster_valid_metrics)" = peer1,peer2 ] && break; sleep 0.2; done
	[ "$(cluster_valid_metrics)" = peer1,peer2 ]
	ids=$(capture 2)
	pipeline >/dev/null
	run wanda-remote drain --wait 120s
	assert_success
	for id in $ids; do
		[ "$(cluster_pinned_peers "$(cid_of "$id")" | paste -sd,)" = "peer1,peer2" ]
		[ "$(jq -r '.remote.fleet.peers | sort | join(",")' "$(sidecar "$id")")" = "peer1,peer2" ]
	done
}

@test "replication the cluster cannot reach: the request is refused, asked again, then failed with the reason" {
	# 4 copies on 3 peers: Cluster refuses to allocate; the state says why
	fleet replication_min=4 replication_max=4 max_requests=2
	id=$(capture 1)
	run pipeline
	assert_success
	assert_output --partial '"state":"done"'
	run wanda-remote drain --wait 60s
	[ "$status" -eq 69 ]
	run jq -r '.remote.fleet.state' "$(sidecar "$id")"
	assert_output failed
	run jq -r '.remote.fleet.error' "$(sidecar "$id")"
	assert_output --partial "HTTP"
	run wanda-remote status --jq '[.failed, .backlog] | join(" ")'
	assert_output '"1 0"'
	run wanda-queue gc --keep-free 999999G
	assert_success
	assert_file_exists "$(image "$id")"
}

@test "the whole cluster stopped: the pipeline goes on, nothing is deleted, entries wait, then drain" {
	fleet
	for k in 1 2 3; do cluster_stop_peer "$k"; done
	ids=$(capture 2)
	SECONDS=0
	run pipeline
	assert_success
	[ "$SECONDS" -lt 60 ]
	[ "$(jq -r 'select(.state == "done") | .id' <<<"$output" | wc -l)" -eq 2 ]
	run wanda-remote drain --wait 3s
	[ "$status" -eq 75 ]
	run wanda-queue stats --jq 'select(.remote == "fleet") | [.health, .backlog] | join(" ")'
	assert_output '"unreachable 2"'
	run wanda-push status --jq '.remote[0] | [.health, .reachable, .backlog] | join(" ")'
	assert_output '"unreachable false 2"'
	# wanda-serve's /api/ipfs/stats says the same
	wanda-serve --listen 127.0.0.1:0 >"$BATS_TEST_TMPDIR/serve.out" 2>&1 3>&- &
	serve=$!
	BG_PIDS+=("$serve")
	for _ in $(seq 200); do [ -s "$BATS_TEST_TMPDIR/serve.out" ] && break; sleep 0.05; done
	run curl -sf -m 20 "$(head -1 "$BATS_TEST_TMPDIR/serve.out" | jq -r .url)/api/ipfs/stats"
	kill "$serve"
	wait "$serve" || true
	assert_success
	[ "$(jq -r '.remote[0] | [.target, .health, .backlog] | join(" ")' <<<"$output")" = "fleet unreachable 2" ]
	run wanda-queue gc --keep-free 999999G
	assert_success
	[ "$(jq -r 'select(.summary) | [.removed, .remote_unconfirmed] | join(" ")' <<<"$output")" = "0 2" ]
	for id in $ids; do
		assert_file_exists "$(image "$id")"
		[ "$(jq -r .remote.fleet.state "$(sidecar "$id")")" = queued ]
	done
	for k in 1 2 3; do cluster_start_peer "$k"; done
	run wanda-remote drain --wait 120s
	assert_success
	[ "$(jq -r 'select(.state == "pinned") | .id' <<<"$output" | sort)" = "$(sort <<<"$ids")" ]
	run wanda-queue stats --jq 'select(.remote == "fleet") | [.health, .backlog] | join(" ")'
	assert_output '"ok 0"'
}

@test "the Pinning Service API path, against Cluster's Pinning Service endpoint" {
	# a JWT from the endpoint itself, sent as a bearer token
	curl -sf -u "$CLUSTER_AUTH" -X POST "$CLUSTER_PSA/token" | jq -r .token >"$BATS_TEST_TMPDIR/token"
	target svc psa "$CLUSTER_PSA"
	id=$(capture 1)
	pipeline >/dev/null
	run wanda-remote drain --wait 120s
	assert_success
	cid=$(cid_of "$id")
	run curl -sf -u "$CLUSTER_AUTH" "$CLUSTER_PSA/pins?cid=$cid"
	assert_success
	[ "$(jq -r '.results[0].status' <<<"$output")" = pinned ]
	[ "$(jq -r '.results[0].pin.name' <<<"$output")" = "$id" ]
	[ "$(jq -r '.results[0].pin.meta.capture' <<<"$output")" = "$id" ]
	# origins: this node's own addresses, from its Kubo
	jq -r '.results[0].pin.origins[]' <<<"$output" | grep -qF "/p2p/$CAMERA_ID"
	[ "$(jq -r '.remote.svc | [.kind, .state, .request_id] | join(" ")' "$(sidecar "$id")")" = \
		"psa pinned $(jq -r '.results[0].requestid' <<<"$output")" ]
	run wanda-queue gc --keep-free 999999G
	assert_success
	assert_file_not_exists "$(image "$id")"
}

@test "a wrong token is a clear permanent error; the local pipeline is not held up" {
	printf 'wanda:not-the-password\n' >"$BATS_TEST_TMPDIR/token"
	fleet
	id=$(capture 1)
	run pipeline
	assert_success
	assert_output --partial '"state":"done"'
	run wanda-remote drain --wait 60s
	[ "$status" -eq 78 ]
	assert_output --partial "HTTP 401"
	assert_output --partial "refused our credentials (remote.fleet.token_file)"
	run wanda-remote status --jq '[.health, .reachable, .backlog] | join(" ")'
	assert_output '"auth false 1"'
	assert_file_exists "$(image "$id")"
	# fixed, the entry goes through
	printf '%s\n' "$CLUSTER_AUTH" >"$BATS_TEST_TMPDIR/token"
	run wanda-remote drain --wait 120s
	assert_success
	assert_output --partial '"state":"pinned"'
}

@test "kill -9 of the remote stage mid-batch loses nothing and confirms nothing twice" {
	fleet
	ids=$(capture 24)
	wanda-queue watch --once --max-inflight 100 | wanda-push --no-outbox >"$BATS_TEST_TMPDIR/pushed"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/pushed")" -eq 24 ]
	# the stage in its pipeline, its input kept open as a pipeline's is
	mkfifo "$BATS_TEST_TMPDIR/in"
	wanda-remote <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/passed" 3>&- &
	pid=$!
	BG_PIDS+=("$pid")
	exec 4>"$BATS_TEST_TMPDIR/in"
	cat "$BATS_TEST_TMPDIR/pushed" >&4
	# killed while some entries are requested and others not yet
	dir=$WANDA_HOME/remote/fleet
	for _ in $(seq 1 3000); do
		if grep -qs '"state":"pinning"' "$dir"/2*.json && grep -qs '"state":"queued"' "$dir"/2*.json; then
			break
		fi
		sleep 0.01
	done
	grep -qs '"state":"queued"' "$dir"/2*.json
	kill -9 "$pid"
	exec 4>&-
	wait "$pid" || true
	# what it passed on is acked; the rest is pushed again after a restart
	wanda-queue ack <"$BATS_TEST_TMPDIR/passed" >/dev/null
	wanda-queue recover >/dev/null
	pipeline >/dev/null
	run wanda-remote drain --wait 120s
	assert_success
	for id in $ids; do
		[ "$(jq -r .remote.fleet.state "$(sidecar "$id")")" = pinned ] || fail "$id not pinned"
		[ "$(jq -r .ipfs.state "$(sidecar "$id")")" = pinned ] || fail "$id not acked"
	done
	[ -z "$(ls "$dir" | grep -v health.json)" ]
	# confirmed once each: no event twice; the sidecar is the record, and
	# only the one confirmation the kill cut between its sidecar write and
	# its event may lack the event
	[ "$(jq -r 'select(.event == "remote_pinned") | .id' "$WANDA_HOME/events.jsonl" | sort | uniq -d)" = "" ]
	[ "$(jq -r 'select(.event == "remote_pinned") | .id' "$WANDA_HOME/events.jsonl" | wc -l)" -ge 23 ]
	# and a replay of the results changes nothing
	before=$(cat "$WANDA_HOME"/captures/*/*.json | jq -r .remote.fleet.confirmed_at | sort)
	wanda-remote <"$BATS_TEST_TMPDIR/pushed" >/dev/null
	run wanda-remote drain --wait 10s
	assert_success
	[ "$(cat "$WANDA_HOME"/captures/*/*.json | jq -r .remote.fleet.confirmed_at | sort)" = "$before" ]
}

@test "a pin that stays unconfirmed is re-requested, then failed with the reason" {
	fleet confirm_timeout=2s max_requests=2
	# a capture whose blocks no node has: the cluster peers look for it in vain
	id=$(wanda-capture --source test --no-queue --width 320 --height 240 | jq -r .id)
	jq -c '{id, kind: "capture", session, sidecar: input_filename, cid, pinned: true}' "$(sidecar "$id")" |
		wanda-remote >/dev/null
	run wanda-remote drain --wait 60s
	[ "$status" -eq 69 ]
	assert_output --partial '"state":"failed"'
	run jq -r .remote.fleet.error "$(sidecar "$id")"
	assert_output --regexp "^not confirmed after 2 requests: not confirmed [0-9]+s after the request \(pinned on 0 of 2 peers"
	[ "$(jq -r 'select(.event == "remote_failed") | .id' "$WANDA_HOME/events.jsonl")" = "$id" ]
	cluster_ctl 1 pin rm "$(cid_of "$id")" >/dev/null
}

@test "configuration errors name the key" {
	echo "remote.x.url = ftp://nope" >>"$WANDA_CONF"
	run wanda-remote status
	[ "$status" -eq 78 ]
	assert_output --partial "remote.x.url"
	: >"$WANDA_CONF"
	target y cluster "$CLUSTER_REST" replication_min=3 replication_max=2
	run wanda-remote status
	[ "$status" -eq 78 ]
	assert_output --partial "remote.y"
	: >"$WANDA_CONF"
	target z cluster "$CLUSTER_REST"
	chmod 644 "$BATS_TEST_TMPDIR/token"
	run wanda-queue gc --keep-free 1G
	[ "$status" -eq 78 ]
	assert_output --partial "readable by others"
	run wanda-remote drain
	[ "$status" -eq 78 ]
	: >"$WANDA_CONF"
	run wanda-remote drain
	[ "$status" -eq 78 ]
	assert_output --partial "no remote target configured"
}

@test "contrib unit: systemd-analyze verify, and its pipeline pins locally and remotely" {
	cd "$TOP/contrib/systemd"
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --man=no ./wanda-remote.service
		[ -z "$(grep -v 'is not executable' <<<"$output")" ] || fail "$output"
	fi
	grep -q '^ProtectSystem=strict$' wanda-remote.service
	grep -q '^Conflicts=wanda-queue.service' wanda-remote.service
	cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" wanda-remote.service)
	[[ $cmd == *"wanda-push --no-outbox | wanda-remote | wanda-queue ack" ]]
	fleet
	id=$(capture 1)
	# the unit's pipeline, once instead of forever
	run sh -c "${cmd/wanda-queue watch/wanda-queue watch --once}"
	assert_success
	run wanda-remote drain --wait 120s
	assert_success
	[ "$(jq -r '[.ipfs.state, .remote.fleet.state] | join(" ")' "$(sidecar "$id")")" = "pinned pinned" ]
}

@test "backfill: captures pushed before the target was configured are pinned remotely, then freed" {
	ids=$(capture 2)
	wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack >/dev/null
	fleet
	run wanda-queue gc --keep-free 999999G
	assert_success
	[ "$(jq -r 'select(.summary) | [.removed, .remote_unconfirmed] | join(" ")' <<<"$output")" = "0 2" ]
	run wanda-remote backfill
	assert_success
	assert_output '{"queued":2}'
	run wanda-remote drain --wait 120s
	assert_success
	run wanda-remote backfill
	assert_output '{"queued":0}'
	run wanda-queue gc --keep-free 999999G
	assert_success
	for id in $ids; do assert_file_not_exists "$(image "$id")"; done
}
