#!/usr/bin/env bats
# The daemon flags every program that talks to Kubo takes (lib/kubo/kubo_cli.h):
# --api, --timeout, --retries, here for wanda-discover, wanda-serve,
# wanda-remote and wanda-queue gc, against a real Kubo node; and the flags
# they renamed to make room (wanda-serve --idle-timeout, wanda-remote drain
# --wait). Two scripted servers stand in for daemons Kubo cannot play: one
# that accepts and never answers (a hung daemon, for --timeout) and one that
# closes every connection at once, counting them (for --retries).
bats_require_minimum_version 1.5.0
load helper
load ipfs
load one-node

setup() {
	wanda_fresh_home
	BG_PIDS=()
	DEAD="http://127.0.0.1:$(ipfs_dead_port)"
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# bg CMD...: in the background (stopped in teardown), fd 3 closed.
bg() {
	"$@" 3>&- &
	BG_PIDS+=($!)
}

# wait_for SECONDS CMD: until CMD succeeds, or fail.
wait_for() {
	local end=$((SECONDS + $1 * WANDA_TEST_SLOW))
	until eval "$2"; do
		[ "$SECONDS" -lt "$end" ] || fail "not within $1 s: $2"
		sleep 0.1
	done
}

# fake_daemon hang|close: a loopback port that accepts and never answers
# (hang), or closes each connection at once and logs a line (close, to
# $BATS_TEST_TMPDIR/conns); its URL in FAKE.
fake_daemon() {
	local port ready=$BATS_TEST_TMPDIR/fake.ready
	port=$(ipfs_dead_port)
	rm -f "$ready"
	: >"$BATS_TEST_TMPDIR/conns"
	bg node -e '
		const fs = require("fs"), [mode, port, log, ready] = process.argv.slice(1), held = [];
		require("net").createServer((s) => {
			if (mode === "hang") return held.push(s);
			fs.appendFileSync(log, "connection\n");
			s.destroy();
		}).listen(+port, "127.0.0.1", () => fs.writeFileSync(ready, ""));' \
		"$1" "$port" "$BATS_TEST_TMPDIR/conns" "$ready"
	wait_for 10 "[ -e '$ready' ]"
	FAKE=http://127.0.0.1:$port
}
conns() { wc -l <"$BATS_TEST_TMPDIR/conns"; }

# captures N: N test captures pushed and pinned on the node.
captures() {
	wanda-capture --source test --count "$1" --interval 0 --width 320 --height 240 >/dev/null
	wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack >/dev/null
}

# An error that is one line on stderr naming URL, with exit status CODE.
assert_daemon_error() {
	[ "$status" -eq "$1" ] || fail "status $status, stderr: $stderr"
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"$2"* ]] || fail "stderr does not name $2: $stderr"
}

# Bad values of the shared flags: 64, naming the flag, for PROGRAM ARGS...
assert_bad_flags() {
	run --separate-stderr "$@" --timeout 0
	assert_failure 64
	assert_equal "$stderr" "$1: --timeout: must be positive"
	run --separate-stderr "$@" --timeout soon
	assert_failure 64
	[[ $stderr == "$1: --timeout: 'soon' is not a duration"* ]]
	run --separate-stderr "$@" --retries 101
	assert_failure 64
	assert_equal "$stderr" "$1: --retries: '101' is not a number from 0 to 100"
	run --separate-stderr "$@" --retries -1
	assert_failure 64
	[[ $stderr == "$1: --retries: "* ]]
}

# ---- wanda-discover ----------------------------------------------------

@test "discover announce: --api over WANDA_API, a dead daemon is 69 naming its URL" {
	WANDA_API=$DEAD run --separate-stderr wanda-discover announce --api "$WANDA_API" --jq .peer
	assert_success
	assert_output "\"$(ipfs_peer_id 1)\""
	run --separate-stderr wanda-discover announce --api "$DEAD"
	assert_daemon_error 69 "$DEAD"
	assert_bad_flags wanda-discover announce
}

@test "discover: --timeout gives up on a hung daemon (75), --retries N makes N more attempts" {
	fake_daemon hang
	SECONDS=0
	run --separate-stderr wanda-discover announce --api "$FAKE" --timeout 1s --retries 0
	assert_daemon_error 75 "$FAKE"
	[ "$SECONDS" -le $((8 * WANDA_TEST_SLOW)) ] || fail "took $SECONDS s"
	fake_daemon close
	run --separate-stderr wanda-discover announce --api "$FAKE" --retries 2
	assert_daemon_error 69 "$FAKE"
	[ "$(conns)" -eq 3 ]
	: >"$BATS_TEST_TMPDIR/conns"
	run --separate-stderr wanda-discover announce --api "$FAKE" --retries 0
	assert_daemon_error 69 "$FAKE"
	[ "$(conns)" -eq 1 ]
}

@test "discover run: --timeout does not cut the subscription, idle or busy" {
	# announces every 2 s (±20%), heard back through the subscription: gaps
	# longer than the 1 s of silence and a stream longer than the 2 s a call
	# may take
	bg wanda-discover run --api "$WANDA_API" --timeout 1s --heartbeat 2s \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	wait_for 30 "jq -e '.own >= 4' '$WANDA_HOME/state/discover.json' >/dev/null 2>&1"
	kill "${BG_PIDS[0]}"
	wait "${BG_PIDS[0]}" || true
	run cat "$BATS_TEST_TMPDIR/err"
	refute_output --partial "subscribing again"
	refute_output --partial "pubsub/sub"
}

# ---- wanda-serve -------------------------------------------------------

# serve_start ARGS: wanda-serve on a free loopback port; URL.
serve_start() {
	local out=$BATS_TEST_TMPDIR/serve.out
	bg wanda-serve --listen 127.0.0.1:0 "$@" >"$out" 2>"$out.err"
	wait_for 10 "[ -s '$out' ]"
	URL=$(head -1 "$out" | jq -r .url)
}

# get PATH: the body, then the HTTP status as the last line.
get() { curl -s -m 60 -w '\n%{http_code}' "$URL$1"; }

@test "serve: --api over WANDA_API; a dead daemon is 503 naming its URL, the rest still works" {
	WANDA_API=$DEAD serve_start --api "$WANDA_API"
	run get /api/ipfs/status
	assert_line --index 1 200
	[ "$(jq -r .peer_id <<<"${lines[0]}")" = "$(ipfs_peer_id 1)" ] || fail "${lines[0]}"
	kill "${BG_PIDS[0]}"
	wait "${BG_PIDS[0]}" || true
	serve_start --api "$DEAD"
	run get /api/ipfs/status
	assert_line --index 1 503
	[ "$(jq -r .daemon <<<"${lines[0]}")" = down ]
	[[ $(jq -r .error <<<"${lines[0]}") == *"$DEAD"* ]] || fail "${lines[0]}"
	run get /api/captures
	assert_line --index 1 200
}

@test "serve: --timeout is each daemon call's (504 from a hung daemon), bad values are 64" {
	fake_daemon hang
	serve_start --api "$FAKE" --timeout 1s
	SECONDS=0
	run get /api/ipfs/status
	assert_line --index 1 504
	[[ $(jq -r .error <<<"${lines[0]}") == *"$FAKE"* ]] || fail "${lines[0]}"
	[ "$SECONDS" -le $((10 * WANDA_TEST_SLOW)) ] || fail "took $SECONDS s (the default is 30 s)"
	assert_bad_flags wanda-serve --listen 127.0.0.1:0
}

@test "serve: --idle-timeout closes an idle connection; under 1s it is refused" {
	serve_start --idle-timeout 1s
	port=${URL##*:}
	SECONDS=0
	run timeout 30 bash -c "exec 5<>/dev/tcp/127.0.0.1/$port; cat <&5"
	assert_success
	[ "$SECONDS" -le $((8 * WANDA_TEST_SLOW)) ] || fail "closed after $SECONDS s"
	run --separate-stderr wanda-serve --listen 127.0.0.1:0 --idle-timeout 500ms
	assert_failure 64
	assert_equal "$stderr" "wanda-serve: --idle-timeout must be at least 1s, --heartbeat at least 100ms"
}

# ---- wanda-remote ------------------------------------------------------

# psa pinned|queued: a Pinning Service API endpoint that answers every pin
# with that status; POST bodies go to $BATS_TEST_TMPDIR/posts. A target
# "svc" in wanda.conf.
psa() {
	local port ready=$BATS_TEST_TMPDIR/psa.ready
	port=$(ipfs_dead_port)
	bg node -e '
		const http = require("http"), fs = require("fs"), [st, port, log, ready] = process.argv.slice(1);
		const pins = {};
		http.createServer((q, r) => {
			let body = "";
			q.on("data", (c) => body += c).on("end", () => {
				const u = new URL(q.url, "http://x"), reply = (o) => {
					r.writeHead(200, {"Content-Type": "application/json"});
					r.end(JSON.stringify(o));
				};
				const pin = (cid) => ({requestid: "r-" + cid, status: st, created: "2026-12-02T00:00:00Z",
					pin: {cid}, delegates: []});
				if (q.method === "POST") {
					fs.appendFileSync(log, body + "\n");
					const cid = JSON.parse(body).cid;
					pins[cid] = 1;
					return reply(pin(cid));
				}
				const cids = (u.searchParams.get("cid") || "").split(",").filter((c) => pins[c]);
				reply({count: cids.length, results: cids.map(pin)});
			});
		}).listen(+port, "127.0.0.1", () => fs.writeFileSync(ready, ""));' \
		"$1" "$port" "$BATS_TEST_TMPDIR/posts" "$ready"
	wait_for 10 "[ -e '$ready' ]"
	echo token >"$BATS_TEST_TMPDIR/token"
	chmod 600 "$BATS_TEST_TMPDIR/token"
	printf '%s\n' "remote.svc.url = http://127.0.0.1:$port" "remote.svc.kind = psa" \
		"remote.svc.token_file = $BATS_TEST_TMPDIR/token" >>"$WANDA_CONF"
}

@test "remote: --api over WANDA_API gives the pin requests this node's addresses" {
	psa pinned
	captures 1
	wanda-remote backfill >/dev/null
	WANDA_API=$DEAD run --separate-stderr wanda-remote drain --api "$WANDA_API" --wait 60s
	assert_success
	jq -r '.origins[]' "$BATS_TEST_TMPDIR/posts" | grep -qF "/p2p/$(ipfs_peer_id 1)"
}

@test "remote: a dead daemon is no error, the pins go without origins; bad values are 64" {
	psa pinned
	captures 1
	wanda-remote backfill >/dev/null
	run --separate-stderr wanda-remote drain --api "$DEAD" --wait 60s
	assert_success
	[ "$(jq -c .origins "$BATS_TEST_TMPDIR/posts")" = "[]" ]
	assert_bad_flags wanda-remote drain
}

@test "remote: --retries N makes N more attempts at the addresses, --timeout bounds them" {
	psa pinned
	captures 1
	wanda-remote backfill >/dev/null
	fake_daemon close
	run --separate-stderr wanda-remote drain --api "$FAKE" --retries 2 --wait 60s
	assert_success
	[ "$(conns)" -eq 3 ]
	fake_daemon hang
	captures 1
	wanda-remote backfill >/dev/null
	SECONDS=0
	run --separate-stderr wanda-remote drain --api "$FAKE" --timeout 1s --wait 60s
	assert_success
	[ "$SECONDS" -le $((10 * WANDA_TEST_SLOW)) ] || fail "took $SECONDS s"
}

@test "remote drain --wait: gives up after that long with pins pending (75)" {
	psa queued
	captures 1
	wanda-remote backfill >/dev/null
	SECONDS=0
	run --separate-stderr wanda-remote drain --wait 2s
	assert_failure 75
	assert_equal "$stderr" "wanda-remote: 1 pins not confirmed yet (wanda-remote status)"
	[ "$SECONDS" -ge 2 ]
	[ "$SECONDS" -le $((15 * WANDA_TEST_SLOW)) ] || fail "took $SECONDS s"
	run --separate-stderr wanda-remote drain --wait soon
	assert_failure 64
	[[ $stderr == "wanda-remote: --wait: 'soon' is not a duration"* ]]
}

# ---- wanda-queue gc ----------------------------------------------------

@test "queue gc: --api over WANDA_API; a dead daemon is 69 naming its URL, nothing removed" {
	captures 2
	run --separate-stderr wanda-queue gc --keep-free 999999G --api "$DEAD"
	assert_daemon_error 69 "$DEAD"
	[ "$(find "$WANDA_HOME/captures" -name '*.jpg' | wc -l)" -eq 2 ]
	WANDA_API=$DEAD run --separate-stderr wanda-queue gc --keep-free 999999G --api "$WANDA_API"
	assert_success
	jq -se '.[-1] | .summary and .removed == 2' <<<"$output" >/dev/null
	[ "$(find "$WANDA_HOME/captures" -name '*.jpg' | wc -l)" -eq 0 ]
	assert_bad_flags wanda-queue gc --keep-free 999999G
}

@test "queue gc: --timeout gives up on a hung daemon (75), --retries N makes N more attempts" {
	captures 1
	fake_daemon hang
	SECONDS=0
	run --separate-stderr wanda-queue gc --keep-free 999999G --api "$FAKE" --timeout 1s --retries 0
	assert_daemon_error 75 "$FAKE"
	[ "$SECONDS" -le $((8 * WANDA_TEST_SLOW)) ] || fail "took $SECONDS s"
	fake_daemon close
	run --separate-stderr wanda-queue gc --keep-free 999999G --api "$FAKE" --retries 1
	assert_daemon_error 69 "$FAKE"
	[ "$(conns)" -eq 2 ]
	[ "$(find "$WANDA_HOME/captures" -name '*.jpg' | wc -l)" -eq 1 ]
}
