#!/usr/bin/env bats
# The crash test: capture at a high rate through the whole pipeline
#   wanda-capture -> spool -> wanda-queue watch | wanda-push | wanda-queue ack
# into a real IPFS node while SIGKILLing a random stage many times, then let
# it finish and check that nothing was lost, damaged or pinned twice.
# WANDA_CRASH_SEED replays a run (the seed is printed); WANDA_CRASH_KILLS
# overrides the number of kills (200, 60 under asan).
load helper
load ipfs
load one-node

setup() {
	spool_fresh_home
	T=$BATS_TEST_TMPDIR
	CAP= W= P= A=
}

teardown() {
	local p
	for p in $CAP $W $P $A; do kill -KILL "$p" 2>/dev/null || true; done
}

start_capture() {
	wanda-capture --source test --session crash --width 160 --height 120 --interval 40ms \
		--count 1000000 --min-free 0 --seed "$seed" >>"$T/captures" 2>>"$T/capture.err" 3>&- &
	CAP=$!
}

# The pipeline through named pipes, so every stage has a pid we can kill.
start_pipeline() {
	rm -f "$T/p1" "$T/p2"
	mkfifo "$T/p1" "$T/p2"
	wanda-queue watch --rescan 1s >"$T/p1" 2>>"$T/watch.err" 3>&- &
	W=$!
	wanda-push --no-outbox <"$T/p1" >"$T/p2" 2>>"$T/push.err" 3>&- &
	P=$!
	wanda-queue ack <"$T/p2" >>"$T/acks" 2>>"$T/ack.err" 3>&- &
	A=$!
}

# gone PID SECONDS: the process ended (reaped) within SECONDS (times WANDA_TEST_SLOW).
gone() {
	local end=$((SECONDS + $(slow_ms $(($2 * 1000))) / 1000))
	while kill -0 "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
	wait "$1" 2>/dev/null || true
}

# After one stage is killed the other two must end by themselves: watch
# and push when their reader goes (even while they wait for input: watch
# stops emitting once every in-flight slot waits for an ack that will never
# come), push and ack at end of input.
pipeline_down() {
	local p
	for p in $W $P $A; do
		gone "$p" 30 || fail "pipeline stage $p still running 30 s after a sibling was killed"
	done
}

@test "SIGKILL a random stage many times: every capture ends pinned, intact, once" {
	seed=${WANDA_CRASH_SEED:-$(( $(date +%s%N) % 32768 ))}
	kills=${WANDA_CRASH_KILLS:-200}
	[ "${WANDA_TEST_PASS:-plain}" != asan ] || kills=${WANDA_CRASH_KILLS:-60}
	echo "# crash test seed $seed, $kills kills (WANDA_CRASH_SEED=$seed to replay)" >&3
	RANDOM=$seed
	t0=$SECONDS
	declare -A killed=([capture]=0 [watch]=0 [push]=0 [ack]=0)
	start_capture
	start_pipeline
	for k in $(seq 1 "$kills"); do
		sleep "0.$(printf '%02d' $((RANDOM % 25 + 5)))"
		stage=$(( RANDOM % 4 ))
		case $stage in
		0)
			kill -KILL "$CAP" 2>/dev/null || true
			gone "$CAP" 10
			killed[capture]=$((killed[capture] + 1))
			start_capture ;;
		*)
			pid=$(eval echo "\$$(echo W P A | cut -d' ' -f$stage)")
			name=$(echo watch push ack | cut -d' ' -f$stage)
			kill -KILL "$pid" 2>/dev/null || true
			killed[$name]=$((killed[$name] + 1))
			pipeline_down
			start_pipeline ;;
		esac
	done
	echo "# kill loop: $((SECONDS - t0)) s" >&3
	t0=$SECONDS
	echo "# kills: capture ${killed[capture]}, watch ${killed[watch]}, push ${killed[push]}, ack ${killed[ack]}" >&3
	[ $((killed[capture] + killed[watch] + killed[push] + killed[ack])) -eq "$kills" ]

	# let it finish: captures stop, the pipeline drains what is queued
	kill -TERM "$CAP"
	gone "$CAP" 30
	kill -TERM "$W"
	pipeline_down
	run wanda-queue recover --orphan-age 0
	assert_success
	for _ in $(seq 1 "$(slow_ms 60)"); do
		wanda-queue watch --once --max-inflight 64 2>>"$T/watch.err" |
			wanda-push --no-outbox 2>>"$T/push.err" | wanda-queue ack >>"$T/acks" 2>>"$T/ack.err"
		[ -n "$(find "$SP/new" "$SP/cur" "$SP/deferred" -type f)" ] || break
		sleep 1
	done

	echo "# drain: $((SECONDS - t0)) s, backlog was $(wc -l <"$T/captures") captures" >&3
	# the spool is empty, and nothing in it was ever half-written
	for s in new cur deferred failed corrupt tmp; do
		[ -z "$(ls "$SP/$s")" ] || fail "spool/$s not empty: $(ls "$SP/$s" | head -5)"
	done

	# every capture: its sidecar parses, its image is there and intact
	# (its CID recomputed equals the sidecar's), it ends pinned under that CID
	cd "$WANDA_HOME/captures/crash"
	n=$(ls ./*.json | wc -l)
	[ "$n" -ge 100 ] || fail "only $n captures"
	jq -e . ./*.json >/dev/null || fail "a sidecar does not parse"
	jq -r '[.file, .cid, .ipfs.state, .ipfs.cid] | @tsv' ./*.json | sort >"$T/want"
	awk -F'\t' '$3 != "pinned" || $2 != $4 { print; bad = 1 } END { exit bad }' "$T/want" ||
		fail "captures not pinned with their own CID (above)"
	cut -f1 "$T/want" | xargs "$WANDA_TESTBIN/cidof" | awk -F'\t' '{ print $2 "\t" $1 }' |
		sed 's#^\./##' | sort >"$T/got"
	[ "$(wc -l <"$T/got")" -eq "$n" ] || fail "images missing"
	diff <(cut -f1,2 "$T/want") "$T/got" || fail "an image's CID differs from its sidecar's"

	echo "# images checked: $((SECONDS - t0)) s" >&3
	# the node pins exactly the captures' CIDs: none missing, none twice
	# under another CID (a half-written image would have pinned a stranger)
	# (Kubo's init pins the empty directory: not a capture's)
	ipfs_rpc 1 pin/ls "type=recursive" | jq -r '.Keys | keys[]' | grep -vx "$IPFS_EMPTY_DIR" |
		xargs "$WANDA_TESTBIN/cidof" -c | sort >"$T/pinned"
	cut -f2 "$T/want" | sort -u >"$T/cids"
	diff "$T/cids" "$T/pinned" || fail "pins differ from the sidecars' CIDs"
	echo "# $n captures, all pinned; $(grep -c '"state":"done"' "$T/acks") acks" >&3
}

@test "ack killed while every in-flight slot waits: push and watch end at once" {
	seed=1
	wanda-capture --source test --session idle --width 160 --height 120 --count 4 >/dev/null
	start_pipeline
	# the four entries go through (10 s, times WANDA_TEST_SLOW); then nothing more comes
	for _ in $(seq 1 "$(slow_ms 100)"); do
		if [ "$(grep -c '"state":"done"' "$T/acks" 2>/dev/null)" = 4 ]; then break; fi
		sleep 0.1
	done
	assert_equal "$(grep -c '"state":"done"' "$T/acks")" 4
	kill -KILL "$A"
	gone "$P" 5 || fail "wanda-push still waits for input 5 s after its reader was killed"
	gone "$W" 5 || fail "wanda-queue watch still runs 5 s after the pipeline broke"
}
