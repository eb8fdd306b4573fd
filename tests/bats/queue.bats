#!/usr/bin/env bats
# wanda-queue: every state transition and every command; the pipeline
# watch | wanda-push | ack into a real IPFS node; an outage; gc.
load helper
load ipfs
load one-node

setup() {
	spool_fresh_home
	BG_PIDS=()
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -- -"$p" 2>/dev/null || true; done
	for p in "${BG_PIDS[@]}"; do
		for _ in $(seq 1 50); do kill -0 -- -"$p" 2>/dev/null || break; sleep 0.1; done
	done
	[ -z "${SPOOL_MNT:-}" ] || umount -l "$SPOOL_MNT"
}

# small_spool SIZE INODES: the spool on its own small tmpfs (root only)
small_spool() {
	mkdir -p "$SP"
	mount -t tmpfs -o "size=$1,nr_inodes=$2" wanda-test-spool "$SP"
	SPOOL_MNT=$SP
}

# fill_spool: no byte and no inode left on the spool's file system
fill_spool() {
	local i=0
	dd if=/dev/zero of="$SP/fill" bs=4k 2>/dev/null || true
	while touch "$SP/fill.$i" 2>/dev/null; do i=$((i + 1)); done
	! touch "$SP/one-more"
}

# bg CMD...: run in its own process group (killed in teardown), fd 3 closed.
bg() {
	setsid "$@" </dev/null 3>&- &
	BG_PIDS+=($!)
	LAST_BG=$!
}

# id N: capture ids that sort by time, like wanda-capture's.
id() { printf '20261124T06%04d.000Z-t-0001' "$1"; }

# The CID of a file with WANDA's profile, from the node (only-hash: pins nothing).
node_cid() {
	curl -sS -m 60 -X POST -F "file=@$1" \
		"$(ipfs_api 1)/api/v0/add?only-hash=true&pin=false&cid-version=1&raw-leaves=true&chunker=size-1048576&cid-base=base32" |
		jq -r .Hash
}

# mkcap N [SIZE]: what wanda-capture leaves for capture N: image, thumbnail,
# sidecar (ipfs state queued) and a spool entry (through lib/spool).
mkcap() {
	local i s=s1 size=${2:-20000} d cid
	i=$(id "$1")
	d=$WANDA_HOME/captures/$s
	mkdir -p "$d" "$WANDA_HOME/thumbs/$s"
	gen_bytes "img$BATS_TEST_NUMBER.$1" "$size" >"$d/$i.jpg"
	gen_bytes "thumb$BATS_TEST_NUMBER.$1" 500 >"$WANDA_HOME/thumbs/$s/$i.jpg"
	cid=$(node_cid "$d/$i.jpg")
	jq -n --arg id "$i" --arg s "$s" --arg cid "$cid" --argjson bytes "$size" \
		'{id:$id, session:$s, file:($id+".jpg"), bytes:$bytes, cid:$cid, profile:"unixfs-v1-2025",
		  thumb:("thumbs/"+$s+"/"+$id+".jpg"), ipfs:{state:"queued", cid:null, pinned_at:null, error:null}}' \
		>"$d/$i.json"
	"$WANDA_TESTBIN/spool_add" "$SP" "$i" "$(jq -nc --arg id "$i" --arg s "$s" --arg p "$d/$i.jpg" \
		--arg sc "$d/$i.json" --arg cid "$cid" '{id:$id, session:$s, path:$p, sidecar:$sc, cid:$cid, kind:"capture"}')"
}

sidecar() { echo "$WANDA_HOME/captures/s1/$(id "$1").json"; }
count() { find "$SP/$1" -type f | wc -l; }

# wait_until SECONDS 'SHELL CODE': poll until it succeeds (evaluated each time).
wait_until() {
	local t=$1 end
	shift
	end=$((SECONDS + t))
	until eval "$*"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

# The node has the CID pinned (asked by CID, whatever spelling it lists it under).
pinned_on_node() { ipfs_rpc 1 pin/ls "arg=$1" | jq -e '.Keys | length == 1' >/dev/null; }

# wanda-queue with --jq string results printed raw
wq() { set -o pipefail; wanda-queue "$@" | jq -r .; }

drain() { wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack; }

@test "watch claims the oldest entries first, up to --max-inflight, recording the claimer" {
	for n in 3 1 2; do mkcap "$n"; done
	run timeout 5 wanda-queue watch --once --max-inflight 2
	# --once waits for free slots: with no ack behind it, it is still waiting
	[ "$status" -eq 124 ]
	[ "$(jq -r .id <<<"${lines[0]}")" = "$(id 1)" ]
	[ "$(jq -r .id <<<"${lines[1]}")" = "$(id 2)" ]
	[ "${#lines[@]}" -eq 2 ]
	f=$(jq -r .spool_file <<<"${lines[0]}")
	assert_file_exists "$f"
	[[ $f == "$SP/cur/$(id 1)@"* ]]
	[ "$(jq -r .path <<<"${lines[0]}")" = "$WANDA_HOME/captures/s1/$(id 1).jpg" ]
	[ "$(count new)" -eq 1 ]
	[ "$(count cur)" -eq 2 ]
	# the watcher is gone: list shows dead claims, recover returns them
	run wq list --state cur --jq '.claimer.alive'
	assert_output $'false\nfalse'
	run wq recover --jq '"\(.id) \(.from) \(.state)"'
	assert_success
	assert_output "$(id 1) cur new"$'\n'"$(id 2) cur new"
	[ "$(count new)" -eq 3 ]
	[ "$(count cur)" -eq 0 ]
	run wq watch --once --max-inflight 3 --jq .id
	assert_success
	assert_output "$(id 1)"$'\n'"$(id 2)"$'\n'"$(id 3)"
}

@test "recover leaves live claims and takes back dead ones, even when the pid was reused" {
	mkdir -p "$SP"/{new,cur}
	sleep 60 3>&- &
	live=$!
	start=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$live/stat)
	e='{"id":"X","path":"/nonexistent.jpg"}'
	echo "${e/X/a1}" >"$SP/cur/a1@$live.$start"
	echo "${e/X/a2}" >"$SP/cur/a2@$live.$((start + 1))"     # the pid, reused by another process
	echo "${e/X/a3}" >"$SP/cur/a3@999999999.1"              # no such process
	run wq recover --jq .id
	kill $live
	assert_success
	assert_output $'a2\na3'
	assert_file_exists "$SP/cur/a1@$live.$start"
	assert_file_exists "$SP/new/a2"
	assert_file_exists "$SP/new/a3"
}

@test "recover queues a capture cut short before its spool entry, and cleans tmp/" {
	mkcap 1
	mkcap 2
	rm "$SP/new/$(id 2)"                       # the capture died before spool_add
	jq '.ipfs.state = "pinned"' "$(sidecar 1)" >"$BATS_TEST_TMPDIR/x"
	mv "$BATS_TEST_TMPDIR/x" "$(sidecar 1)"
	rm "$SP/new/$(id 1)"                       # done and acknowledged: not an orphan
	echo '{' >"$SP/tmp/$(id 3).999999999.abcdef"   # its writer is gone
	run wq recover --jq '"\(.id) \(.from)"'
	assert_success
	assert_output ""                           # too young: might still be on its way
	touch -d '-10 minutes' "$(sidecar 2)"
	run wq recover --jq '"\(.id) \(.from)"'
	assert_output "$(id 2) sidecar"
	jq -e --arg p "$WANDA_HOME/captures/s1/$(id 2).jpg" '.path == $p and .kind == "capture" and (.cid | length > 0)' \
		"$SP/new/$(id 2)" >/dev/null
	[ -z "$(ls "$SP/tmp")" ]
	run wq recover --orphan-age 0 --jq .id
	assert_output ""                           # queued once only
}

@test "an entry that does not parse is quarantined in corrupt/, then purged explicitly" {
	mkcap 1
	mkdir -p "$SP/new"
	printf '{"id":"half' >"$SP/new/$(id 0)"
	run wq watch --once --jq .id
	assert_success
	assert_line "$(id 1)"
	assert_line --partial "quarantined: $SP/cur/$(id 0)@"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(count corrupt)" -eq 1 ]
	run wq list --state corrupt --jq .state
	assert_output corrupt
	run wanda-queue purge corrupt
	[ "$status" -eq 64 ]
	run wanda-queue purge --older-than 0 new
	[ "$status" -eq 64 ]
	run wanda-queue purge --older-than 1h corrupt
	assert_success
	[ "$(count corrupt)" -eq 1 ]
	run wq purge --older-than 0 corrupt --jq '"\(.from) \(.state)"'
	assert_success
	assert_output "corrupt purged"
	[ "$(count corrupt)" -eq 0 ]
}

@test "the pipeline pins every capture and records it in the sidecar" {
	for n in 1 2 3 4 5; do mkcap "$n" $((n * 700000)); done
	run bash -c 'wanda-queue watch --once --max-inflight 2 | wanda-push --no-outbox | wanda-queue ack'
	assert_success
	[ "$(grep -c '"state":"done"' <<<"$output")" -eq 5 ]
	for n in 1 2 3 4 5; do
		sc=$(sidecar "$n")
		[ "$(jq -r .ipfs.state "$sc")" = pinned ]
		[ "$(jq -r .ipfs.cid "$sc")" = "$(jq -r .cid "$sc")" ]
		jq -e '.ipfs.pinned_at | test("^20[0-9-]+T[0-9:.]+Z$")' "$sc" >/dev/null
		pinned_on_node "$(jq -r .cid "$sc")"
	done
	for s in new cur deferred failed corrupt; do [ "$(count $s)" -eq 0 ]; done
	[ -z "$(ls "$SP/tmp")" ]
}

@test "a missing image fails at once, with the reason in the entry and the sidecar" {
	mkcap 1
	rm "$WANDA_HOME/captures/s1/$(id 1).jpg"
	run bash -c 'wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack'
	assert_output --partial '"state":"failed"'
	[ "$(count failed)" -eq 1 ]
	f=$SP/failed/$(id 1)
	[ "$(jq -r .error_kind "$f")" = missing ]
	jq -e '.last_error | length > 0' "$f" >/dev/null
	jq -e '.failed_at != null and .attempts == 1' "$f" >/dev/null
	[ "$(jq -r .ipfs.state "$(sidecar 1)")" = failed ]
	jq -e '.ipfs.error | length > 0' "$(sidecar 1)" >/dev/null
	# retry brings it back with a fresh start; still missing, it fails again
	run wq retry "$(id 1)" --jq '"\(.from) \(.state)"'
	assert_output "failed new"
	jq -e '.attempts == 0 and .retried_at != null' "$SP/new/$(id 1)" >/dev/null
}

# due ID...: time passes: the deferred entries' next attempt is now.
due() {
	local f
	for f in "$@"; do
		f=$SP/deferred/$(id "$f")
		jq -c '.next_attempt_at = "2000-01-01T00:00:00.000Z"' "$f" >"$SP/tmp/x"
		mv "$SP/tmp/x" "$f"
	done
}

@test "an unreachable daemon defers with backoff; the daemon back, the entries drain oldest first" {
	export WANDA_QUEUE_BACKOFF=60s WANDA_QUEUE_MAX_BACKOFF=10m
	for n in 1 2 3; do mkcap "$n"; done
	dead=http://127.0.0.1:$(ipfs_dead_port)
	run bash -c "wanda-queue watch --once | wanda-push --no-outbox --api $dead 2>/dev/null | wanda-queue ack"
	[ "$(grep -c '"state":"deferred"' <<<"$output")" -eq 3 ]
	[ "$(count deferred)" -eq 3 ]
	f=$SP/deferred/$(id 1)
	jq -e '.attempts == 1 and .error_kind == "unreachable" and (.last_error | length > 0)' "$f" >/dev/null
	# next attempt one backoff after the failure
	na=$(date -d "$(jq -r .next_attempt_at "$f")" +%s)
	mt=$(stat -c %Y "$f")
	[ $((na - mt)) -ge 59 ]
	[ $((na - mt)) -le 61 ]
	[ "$(jq -r .ipfs.state "$(sidecar 1)")" = queued ]
	# not due: nothing to claim
	run wq watch --once --jq .id
	assert_output ""
	# all due: only the oldest goes (the probe); failing again, its delay doubles
	due 1 2 3
	run bash -c "wanda-queue watch --once | wanda-push --no-outbox --api $dead 2>/dev/null | wanda-queue ack --jq .id | jq -r ."
	assert_output "$(id 1)"
	f=$SP/deferred/$(id 1)
	jq -e '.attempts == 2' "$f" >/dev/null
	jq -e '.attempts == 1' "$SP/deferred/$(id 2)" >/dev/null
	na=$(date -d "$(jq -r .next_attempt_at "$f")" +%s)
	mt=$(stat -c %Y "$f")
	[ $((na - mt)) -ge 119 ]
	[ $((na - mt)) -le 121 ]
	# the daemon is back: the probe succeeds and releases the others
	due 1
	run drain
	assert_success
	assert_output --partial "\"id\":\"$(id 1)\",\"state\":\"done\""
	assert_output --partial '"released":2'
	run bash -c 'wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack --jq .id | jq -r .'
	assert_output "$(id 2)"$'\n'"$(id 3)"
	for n in 1 2 3; do [ "$(jq -r .ipfs.state "$(sidecar "$n")")" = pinned ]; done
	[ "$(count deferred)" -eq 0 ]
	[ "$(count new)" -eq 0 ]
	[ "$(count cur)" -eq 0 ]
}

@test "max attempts and max lifetime fail an entry with its reason" {
	mkcap 1
	mkcap 2
	dead=http://127.0.0.1:$(ipfs_dead_port)
	run bash -c "wanda-queue watch --once | wanda-push --no-outbox --api $dead | wanda-queue ack --max-attempts 1 --jq '\"\(.id) \(.state)\"' | jq -r ."
	assert_output --partial "$(id 1) failed"
	jq -e '.last_error | test("gave up after 1 attempts")' "$SP/failed/$(id 1)" >/dev/null
	run wq retry --all --jq .from
	assert_output $'failed\nfailed'
	sleep 1.1
	run bash -c "exec 2>/dev/null; wanda-queue watch --once | wanda-push --no-outbox --api $dead | wanda-queue ack --max-lifetime 1s --jq .state | jq -r ."
	assert_output $'failed\nfailed'
	jq -e '.last_error | test("expired")' "$SP/failed/$(id 2)" >/dev/null
	# an entry deferred past its lifetime expires in the queue, no attempt needed
	run wanda-queue retry --all
	run bash -c "wanda-queue watch --once | wanda-push --no-outbox --api $dead | wanda-queue ack"
	[ "$(count deferred)" -eq 2 ]
	sleep 1.1
	run wanda-queue watch --once --max-lifetime 1s
	assert_output ""
	[ "$(count failed)" -eq 2 ]
	jq -e '.last_error | test("expired in the queue")' "$SP/failed/$(id 1)" >/dev/null
}

@test "retry: by id, --all, and its usage errors" {
	run wanda-queue retry
	[ "$status" -eq 64 ]
	run wanda-queue retry --all x
	[ "$status" -eq 64 ]
	run --separate-stderr wanda-queue retry nosuch
	[ "$status" -eq 66 ]
	# said once
	assert_equal "$stderr" "wanda-queue: nosuch: no such deferred or failed entry"
	run --separate-stderr wanda-queue retry nosuch other
	[ "$status" -eq 66 ]
	assert_equal "$stderr" "wanda-queue: nosuch: no such deferred or failed entry"$'\n'"wanda-queue: other: no such deferred or failed entry"
	mkcap 1
	run wanda-queue retry "$(id 1)"
	[ "$status" -eq 66 ]
	run wanda-queue retry --all
	assert_success
	assert_output ""
}

@test "list and stats: states, ages and qshape buckets" {
	for n in 1 2 3; do mkcap "$n"; done
	old=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000Z)
	"$WANDA_TESTBIN/spool_add" "$SP" "$(id 0)" "{\"path\":\"/x.jpg\",\"enqueued_at\":\"$old\"}"
	bg wanda-queue watch --once --max-inflight 1
	wait_until 10 '[ "$(count cur)" -eq 1 ]'
	run wq list --jq '"\(.id) \(.state)"'
	assert_output "$(id 1) new"$'\n'"$(id 2) new"$'\n'"$(id 3) new"$'\n'"$(id 0) cur"
	run wq list --state new --jq .age_s
	for a in "${lines[@]}"; do [ "$(jq -n "$a < 60")" = true ]; done
	run wq list --state cur --jq '.age_s | floor'
	[ "$output" -ge 7199 ]
	[ "$output" -le 7300 ]
	run wanda-queue list --state bogus
	[ "$status" -eq 64 ]
	run wanda-queue stats --jq '{state, count, ages}'
	assert_success
	[ "${#lines[@]}" -eq 5 ]
	st() { jq -se --arg s "$1" "map(select(.state == \$s))[0] | $2" <<<"$output" >/dev/null; }
	st new '.count == 3 and .ages["5m"] == 3'
	st cur '.count == 1 and .ages["160m"] == 1 and .ages["5m"] == 0'
	st failed '.count == 0 and (.ages | keys | length) == 10'
}

@test "ack: a bad line is reported and skipped; a result for an entry no longer claimed is gone" {
	mkcap 1
	line=$(wanda-queue watch --once)
	run wanda-queue recover
	run wanda-queue ack <<<"not json
$(jq -c '. + {error:{kind:"http",message:"HTTP 400",permanent:true}}' <<<"$line")"
	[ "$status" -eq 65 ]
	assert_output --partial "stdin:1"
	assert_output --partial '"state":"gone"'
	[ "$(count new)" -eq 1 ]
	[ "$(count failed)" -eq 0 ]
}

@test "ack takes paths from the spool entry only, never from the result line" {
	mkcap 1
	echo '{"keep":"me"}' >"$BATS_TEST_TMPDIR/victim.json"
	line=$(wanda-queue watch --once)
	wanda-queue recover >/dev/null
	# the entry is not claimed any more: a success line naming another file
	run --separate-stderr wanda-queue ack <<<"$(jq -c --arg v "$BATS_TEST_TMPDIR/victim.json" \
		'. + {sidecar:$v, cid:.cid, pinned:true}' <<<"$line")"
	assert_success
	assert_equal "$(jq -r .state <<<"$output")" gone
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim.json")" '{"keep":"me"}'
	assert_equal "$(jq -r .ipfs.state "$(sidecar 1)")" queued
}

@test "ack: a spool_file that names cur/ itself, or a way out of it, settles nothing and moves no directory" {
	mkcap 1
	line=$(wanda-queue watch --once)
	for sf in "$SP/cur/$(id 1)/../" "$SP/cur/" "$SP/cur/.." "x/"; do
		run --separate-stderr wanda-queue ack <<<"$(jq -c --arg sf "$sf" '{spool_file:$sf, cid:.cid}' <<<"$line")"
		assert_success
		assert_equal "$(jq -r .state <<<"$output")" gone
		[ -d "$SP/cur" ] || fail "cur/ moved away by $sf"
		[ "$(find "$SP/corrupt" -mindepth 1 | wc -l)" -eq 0 ] || fail "something quarantined by $sf"
		[ "$(count cur)" -eq 1 ] || fail "the claim is gone after $sf"
	done
	# the real result for the claim still settles it
	run --separate-stderr wanda-queue ack <<<"$(jq -c '. + {pinned:true}' <<<"$line")"
	assert_success
	assert_equal "$(jq -r .state <<<"$output")" done
	[ "$(count cur)" -eq 0 ]
}

@test "a sidecar that does not parse fails its entry at once (permanent), not days of retries" {
	mkcap 1
	echo '{"id": broken' >"$(sidecar 1)"
	run --separate-stderr drain
	assert_equal "$(jq -r .state <<<"$output")" failed
	assert_equal "$(count failed)" 1
	assert_equal "$(count deferred)" 0
	[[ $(jq -r .last_error "$SP/failed/$(id 1)") == *"$(sidecar 1)"* ]]
}

@test "a 50 MB line on stdin is refused with a clear error and little memory; the next line is read" {
	mkcap 1
	line=$(wanda-queue watch --once)
	wanda-queue recover >/dev/null
	# the remote stage needs a target; nothing listens there
	printf 'remote.t.url = http://127.0.0.1:9\nremote.t.kind = cluster\n' >>"$WANDA_CONF"
	for prog in "wanda-queue ack" "wanda-dag session --from-spool" "wanda-push --no-outbox" wanda-remote; do
		{ head -c 50000000 /dev/zero | tr '\0' 'a'; echo; echo "$line"; } >"$BATS_TEST_TMPDIR/in"
		run --separate-stderr /usr/bin/time -f '%M' $prog <"$BATS_TEST_TMPDIR/in"
		[[ $stderr == *"stdin:"*"a line of 50000001 bytes, over the limit of 1048576"* ]] || fail "$prog: $stderr"
		# max RSS in KiB, well under the line's size
		[ "$(tail -1 <<<"$stderr")" -lt 40000 ] || fail "$prog: RSS $(tail -1 <<<"$stderr") KiB"
		[[ $output == *"$(id 1)"* ]] || fail "$prog did not go on: $output"
	done
}

@test "the remote stage takes no path from its input line either" {
	mkcap 1
	echo '{"keep":"me"}' >"$BATS_TEST_TMPDIR/victim.json"
	printf 'remote.t.url = http://127.0.0.1:9\nremote.t.kind = cluster\n' >>"$WANDA_CONF"
	line=$(wanda-queue watch --once)
	for sc in "$BATS_TEST_TMPDIR/victim.json" "$WANDA_HOME/captures/../../victim.json"; do
		run --separate-stderr wanda-remote <<<"$(jq -c --arg v "$sc" '. + {sidecar:$v, pinned:true}' <<<"$line")"
		assert_success
		[[ $stderr == *"stdin:1: $sc: not a sidecar under $WANDA_HOME/captures"* ]] || fail "stderr: $stderr"
		# the line goes on to ack, which keeps to the spool entry
		assert_equal "$(jq -r .sidecar <<<"$output")" "$sc"
	done
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim.json")" '{"keep":"me"}'
	assert_equal "$(jq -r '.remote // "none"' "$(sidecar 1)")" none
	# the capture's own sidecar is taken
	run --separate-stderr wanda-remote <<<"$(jq -c '. + {pinned:true}' <<<"$line")"
	assert_success
	assert_equal "$(jq -r .remote.t.state "$(sidecar 1)")" queued
}

@test "a push whose CID is not the sidecar's fails the entry as cid-mismatch" {
	mkcap 1
	line=$(wanda-queue watch --once)
	run wanda-queue ack <<<"$(jq -c '. + {cid:"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", pinned:true}' <<<"$line")"
	assert_output --partial '"state":"failed"'
	[ "$(jq -r .error_kind "$SP/failed/$(id 1)")" = cid-mismatch ]
	[ "$(jq -r .ipfs.state "$(sidecar 1)")" = failed ]
}

@test "watch forever: inotify claims at once, a due deferred entry comes back on its timer" {
	mkdir -p "$SP"
	bg bash -c "wanda-queue watch --rescan 60s > '$BATS_TEST_TMPDIR/out'"
	sleep 0.5
	mkcap 1
	wait_until 10 'grep -q "$(id 1)" "$BATS_TEST_TMPDIR/out"'
	# fail it: it comes back one backoff (1s) later with no event in new/
	ack=$(grep "$(id 1)" "$BATS_TEST_TMPDIR/out" | jq -c '. + {error:{kind:"timeout",message:"slow",permanent:false}}')
	wanda-queue ack <<<"$ack"
	[ "$(count deferred)" -eq 1 ]
	wait_until 10 '[ "$(grep -c "$(id 1)" "$BATS_TEST_TMPDIR/out")" -eq 2 ]'
	[ "$(count cur)" -eq 1 ]
}

@test "a full spool (no space, no inodes) never wedges a live watch: failures defer as they are and come back" {
	small_spool 512k 64
	bg bash -c "wanda-queue watch --rescan 60s > '$BATS_TEST_TMPDIR/out'"
	mkcap 1
	mkcap 2
	wait_until 10 '[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 2 ]'
	fill_spool
	# a backoff long enough to look before the live watch takes them again
	WANDA_QUEUE_BACKOFF=8s run --separate-stderr wanda-queue ack < <(jq -c '. + {error:{kind:"timeout",message:"slow",permanent:false}}' "$BATS_TEST_TMPDIR/out")
	assert_success
	assert_equal "$(jq -r .state <<<"${lines[0]}")" deferred
	assert_equal "$(jq -r .state <<<"${lines[1]}")" deferred
	assert_equal "$(count cur)" 0
	assert_equal "$(count deferred)" 2
	# space comes back: the live watch claims both again, after the backoff
	rm -f "$SP"/fill*
	wait_until 30 '[ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -eq 4 ]'
	assert_equal "$(count cur)" 2
}

@test "watch defers its own claims that got no result within queue_claim_timeout" {
	mkdir -p "$SP"
	WANDA_QUEUE_CLAIM_TIMEOUT=2s bg bash -c "wanda-queue watch --rescan 1s > '$BATS_TEST_TMPDIR/out'"
	mkcap 1
	wait_until 10 'grep -q "$(id 1)" "$BATS_TEST_TMPDIR/out"'
	# no ack ever comes: after 2 s it is deferred, after the 1 s backoff claimed again
	wait_until 15 '[ "$(grep -c "$(id 1)" "$BATS_TEST_TMPDIR/out")" -eq 2 ]'
	f=$(tail -1 "$BATS_TEST_TMPDIR/out" | jq -r .spool_file)
	assert_equal "$(jq -r .attempts "$f")" 1
	[[ $(jq -r .last_error "$f") == "no result within the claim timeout (2 s)" ]]
}

@test "a FIFO in new/ hangs neither list nor watch: it is quarantined" {
	mkcap 1
	mkfifo "$SP/new/$(id 2)"
	run --separate-stderr timeout 10 wanda-queue list
	assert_success
	run --separate-stderr timeout 10 wanda-queue watch --once --jq .id
	assert_success
	assert_output "\"$(id 1)\""
	[[ $stderr == *"$(id 2)"*"not a regular file"* ]] || fail "stderr: $stderr"
	assert_equal "$(ls "$SP/corrupt")" "$(ls "$SP/corrupt" | grep "^$(id 2)")"
	[ -n "$(ls "$SP/corrupt")" ]
}

@test "watch exits when the reader of its output goes away" {
	mkdir -p "$SP"
	mkcap 1
	mkcap 2
	run timeout 10 bash -c 'wanda-queue watch --rescan 60s | head -c 1 >/dev/null'
	[ "$status" -ne 124 ]
}

@test "outage: captures go on, entries wait in deferred/, the backlog drains oldest first" {
	port=$(ipfs_dead_port)
	target=$(ipfs_api 1)
	target=${target#http://}
	# the daemon as the pipeline sees it: a TCP relay we can stop and start
	relay() {
		bg node -e '
			const net = require("net"), [h, p] = process.argv[2].split(":");
			net.createServer(c => { const u = net.connect(+p, h); c.pipe(u); u.pipe(c);
				u.on("error", () => c.destroy()); c.on("error", () => u.destroy()); })
				.listen(+process.argv[1], "127.0.0.1");' "$port" "$target"
		RELAY=$LAST_BG
		wait_until 10 'curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/v0/id"'
	}
	relay
	bg bash -c "wanda-queue watch --rescan 1s | wanda-push --no-outbox --api http://127.0.0.1:$port |
		wanda-queue ack > '$BATS_TEST_TMPDIR/acks'"
	mkcap 1
	mkcap 2
	wait_until 30 '[ "$(grep -c "\"state\":\"done\"" "$BATS_TEST_TMPDIR/acks")" -eq 2 ]'
	kill -- -"$RELAY"
	for n in 3 4 5 6 7 8; do mkcap "$n"; sleep 0.3; done
	wait_until 60 '[ "$(count deferred)" -eq 6 ]'
	sleep 3   # let the probe retry a few times
	[ "$(count failed)" -eq 0 ]
	for n in 3 4 5 6 7 8; do [ "$(jq -r .ipfs.state "$(sidecar "$n")")" = queued ]; done
	# the probe entry is retried on its timer: between tries it may be in cur/
	wait_until 20 'jq -e ".attempts >= 2" "$SP/deferred/$(id 3)" >/dev/null 2>&1'
	relay
	wait_until 60 '[ "$(grep -c "\"state\":\"done\"" "$BATS_TEST_TMPDIR/acks")" -eq 8 ]'
	# oldest first: the order of the acks and of pinned_at is the order of the ids
	want=$(for n in 3 4 5 6 7 8; do id "$n"; echo; done)
	got=$(jq -r 'select(.state == "done") | .id' "$BATS_TEST_TMPDIR/acks" | tail -6)
	[ "$got" = "$want" ] || fail "drained as: $got"
	prev=
	for n in 3 4 5 6 7 8; do
		t=$(jq -r .ipfs.pinned_at "$(sidecar "$n")")
		[[ -z $prev || $prev < "$t" || $prev == "$t" ]] || fail "$(id "$n") pinned at $t before $prev"
		prev=$t
		pinned_on_node "$(jq -r .cid "$(sidecar "$n")")"
	done
	for s in new cur deferred failed; do [ "$(count $s)" -eq 0 ]; done
}

# A Pinning Service API endpoint that says "pinned" for the CIDs listed in
# $1, with bearer token "sekret"; requests logged to $2.
pinsvc() {
	PSPORT=$(ipfs_dead_port)
	bg node -e '
		const http = require("http"), fs = require("fs"), [port, list, log] = process.argv.slice(1);
		http.createServer((q, r) => {
			fs.appendFileSync(log, q.method + " " + q.url + " " + (q.headers.authorization || "") + "\n");
			const u = new URL(q.url, "http://x"), cid = u.searchParams.get("cid");
			if (q.headers.authorization !== "Bearer sekret") { r.writeHead(401); return r.end("{}"); }
			const ok = fs.readFileSync(list, "utf8").split("\n").includes(cid);
			r.writeHead(200, {"Content-Type": "application/json"});
			r.end(JSON.stringify(ok ? {count: 1, results: [{requestid: "r1", status: "pinned",
				created: "2026-11-24T06:00:00Z", pin: {cid}, delegates: []}]} : {count: 0, results: []}));
		}).listen(+port, "127.0.0.1");' "$PSPORT" "$1" "$2"
	wait_until 10 'curl -s -o /dev/null "http://127.0.0.1:$PSPORT/pins"'
}

@test "gc deletes the oldest pinned images only, keeps thumbnails and sidecars" {
	for n in 1 2 3 4; do mkcap "$n"; done
	drain
	mkcap 5                          # queued, never pushed: not pinned
	img() { echo "$WANDA_HOME/captures/s1/$(id "$1").jpg"; }
	run wanda-queue gc --keep-free 1
	assert_success
	jq -se '.[-1] | .summary and .removed == 0 and .satisfied' <<<"$output" >/dev/null
	run wq gc --keep-free 999999G --dry-run --jq 'select(.summary | not) | .id'
	assert_output "$(id 1)"$'\n'"$(id 2)"$'\n'"$(id 3)"$'\n'"$(id 4)"
	for n in 1 2 3 4 5; do assert_file_exists "$(img "$n")"; done
	# unpin one on the node: it must stay too
	ipfs_rpc 1 pin/rm "arg=$(jq -r .cid "$(sidecar 3)")" >/dev/null
	run wanda-queue gc --keep-free 999999G
	assert_success
	[ "$(jq -r 'select(.summary | not) | .id' <<<"$output")" = "$(id 1)"$'\n'"$(id 2)"$'\n'"$(id 4)" ]
	jq -se '.[-1] | .summary and .removed == 3 and .unpinned == 2 and (.satisfied | not)' <<<"$output" >/dev/null
	for n in 1 2 4; do
		assert_file_not_exists "$(img "$n")"
		jq -e '.image_removed_at | test("Z$")' "$(sidecar "$n")" >/dev/null
		[ "$(jq -r .ipfs.state "$(sidecar "$n")")" = pinned ]
	done
	assert_file_exists "$(img 3)"
	assert_file_exists "$(img 5)"
	for n in 1 2 3 4 5; do
		assert_file_exists "$(sidecar "$n")"
		assert_file_exists "$WANDA_HOME/thumbs/s1/$(id "$n").jpg"
	done
	# daemon unreachable: an error, nothing removed
	run wanda-queue gc --keep-free 999999G --api "http://127.0.0.1:$(ipfs_dead_port)"
	[ "$status" -eq 69 ]
	assert_file_exists "$(img 3)"
}

@test "gc with a remote pinning service removes only what both pin" {
	for n in 1 2 3; do mkcap "$n"; done
	drain
	jq -r .cid "$(sidecar 2)" >"$BATS_TEST_TMPDIR/remote"
	pinsvc "$BATS_TEST_TMPDIR/remote" "$BATS_TEST_TMPDIR/pslog"
	export WANDA_REMOTE_PIN_TOKEN=sekret
	run wanda-queue gc --keep-free 999999G --remote-pin "http://127.0.0.1:$PSPORT/"
	assert_success
	[ "$(jq -r 'select(.summary | not) | .id' <<<"$output")" = "$(id 2)" ]
	assert_file_exists "$WANDA_HOME/captures/s1/$(id 1).jpg"
	assert_file_not_exists "$WANDA_HOME/captures/s1/$(id 2).jpg"
	assert_file_exists "$WANDA_HOME/captures/s1/$(id 3).jpg"
	grep -q "^GET /pins?cid=$(jq -r .cid "$(sidecar 1)")&status=pinned Bearer sekret$" "$BATS_TEST_TMPDIR/pslog"
	# a wrong token is a configuration error, nothing removed
	WANDA_REMOTE_PIN_TOKEN=wrong run wanda-queue gc --keep-free 999999G --remote-pin "http://127.0.0.1:$PSPORT"
	[ "$status" -eq 78 ]
	assert_file_exists "$WANDA_HOME/captures/s1/$(id 1).jpg"
}

@test "usage errors name the problem" {
	run wanda-queue
	[ "$status" -eq 64 ]
	run wanda-queue frobnicate
	[ "$status" -eq 64 ]
	assert_output --partial frobnicate
	run wanda-queue gc
	[ "$status" -eq 64 ]
	assert_output --partial keep-free
	run wanda-queue watch --max-inflight 0
	[ "$status" -eq 64 ]
	run wanda-queue list --backoff 5y
	[ "$status" -eq 64 ]
	assert_output --partial queue_backoff
	run wanda-queue stats extra
	[ "$status" -eq 64 ]
}

@test "contrib units: systemd-analyze verify, and the drain service's pipeline drains" {
	cd "$TOP/contrib/systemd"
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --man=no ./wanda-queue.service ./wanda-queue.path \
			./wanda-queue-drain.service ./wanda-queue-drain.timer ./wanda-gc.service ./wanda-gc.timer
		# nothing but the program not being installed here
		[ -z "$(grep -v 'Command /usr/bin/wanda-queue is not executable' <<<"$output")" ] || fail "$output"
	fi
	grep -q '^ProtectSystem=strict$' wanda-queue.service
	grep -q '^ReadWritePaths=/var/lib/wanda$' wanda-queue-drain.service
	grep -q '^DirectoryNotEmpty=/var/lib/wanda/spool/new$' wanda-queue.path
	# run the oneshot's own command line against the test node
	cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'$/\1/p" wanda-queue-drain.service)
	[[ $cmd == *"wanda-queue watch --once"*"wanda-queue ack"* ]]
	for n in 1 2; do mkcap "$n"; done
	run sh -c "$cmd"
	assert_success
	for n in 1 2; do [ "$(jq -r .ipfs.state "$(sidecar "$n")")" = pinned ]; done
	[ "$(count new)" -eq 0 ]
	[ "$(count cur)" -eq 0 ]
}
