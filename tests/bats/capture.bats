#!/usr/bin/env bats
# wanda-capture: sources (with fake camera programs), the store, the
# timelapse schedule, timeouts, ids, sessions and the disk guard.
load helper

setup() {
	wanda_fresh_home
	export PATH="$TOP/tests/fakes:$PATH"
	export FAKE_LOG="$BATS_TEST_TMPDIR/fake.log"
	export WANDA_NODE=testnode
	: >"$FAKE_LOG"
}

teardown() {
	if [ -n "${MNT:-}" ] && mountpoint -q "$MNT"; then
		umount "$MNT" || umount -l "$MNT"
	fi
}

jinfo() { "$WANDA_TESTBIN/jpeginfo" "$1"; }

# ms since the epoch of an RFC 3339 time
epoch_ms() { date -u -d "$1" +%s%3N; }

# every capture line on stdout: its files exist and agree with each other
check_capture() {
	local line=$1 id img side thumb cid
	id=$(jq -r .id <<<"$line")
	img=$(jq -r .path <<<"$line")
	side=$(jq -r .sidecar <<<"$line")
	thumb=$(jq -r .thumb <<<"$line")
	cid=$(jq -r .cid <<<"$line")
	assert_file_exists "$img"
	assert_file_exists "$side"
	assert_file_exists "$thumb"
	[ "$(jq -r .id "$side")" = "$id" ] || fail "sidecar id"
	[ "$(jq -r .cid "$side")" = "$cid" ] || fail "sidecar cid"
	[ "$(jq -r .bytes "$side")" = "$(stat -c %s "$img")" ] || fail "sidecar bytes"
	[ "$(jq -r .ipfs.state "$side")" = queued ] || fail "ipfs state"
	[ "$(jq -r .profile "$side")" = unixfs-v1-2025 ] || fail "profile"
	[ "$(jq -r .tsize "$side")" -ge "$(stat -c %s "$img")" ] || fail "tsize"
	jinfo "$img" >/dev/null || fail "$img is not a valid JPEG"
	local ti
	ti=$(jinfo "$thumb") || fail "$thumb is not a valid JPEG"
	[ "$(jq '[.width,.height]|max' <<<"$ti")" -le 320 ] || fail "thumbnail too big: $ti"
	[ "$(stat -c %s "$thumb")" -lt 40000 ] || fail "thumbnail file too big"
	[ "$(jq -r .datetime_original <<<"$(jinfo "$img")")" != null ] || fail "no DateTimeOriginal"
	assert_file_exists "$WANDA_HOME/spool/new/$id"
	[ "$(jq -r .cid "$WANDA_HOME/spool/new/$id")" = "$cid" ] || fail "spool cid"
	[ "$(jq -r .path "$WANDA_HOME/spool/new/$id")" = "$img" ] || fail "spool path"
	[ "$(jq -r .kind "$WANDA_HOME/spool/new/$id")" = capture ] || fail "spool kind"
}

# the CID an independent implementation gives (and wanda-dag add, once it can)
ref_cid() {
	node "$TOP/tests/tools/mkcar.mjs" --v1 --raw-leaves --chunk 1048576 "$BATS_TEST_TMPDIR/ref.car" "$1"
}

@test "test source: one capture with image, thumbnail, sidecar, EXIF date, spool entry" {
	run wanda-capture --source test --session s1 --seed 7
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	check_capture "${lines[0]}"
	line=${lines[0]}
	[ "$(jq -r '.session,.source,.width,.height' <<<"$line" | tr '\n' ' ')" = "s1 test 1280 960 " ]
	id=$(jq -r .id <<<"$line")
	[[ $id =~ ^[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-testnode-[0-9]{4}$ ]] || fail "id $id"
	# DateTimeOriginal is captured_at in UTC
	at=$(jq -r .captured_at <<<"$line")
	dto=$(jinfo "$(jq -r .path <<<"$line")" | jq -r .datetime_original)
	[ "$dto" = "$(date -u -d "$at" '+%Y:%m:%d %H:%M:%S')" ] || fail "DateTimeOriginal $dto vs $at"
}

@test "--no-queue: no spool entry, the sidecar says local, and no recovery queues it later" {
	run wanda-capture --source test --session nq --no-queue --count 2 --interval 0
	assert_success
	for l in "${lines[@]}"; do
		[ "$(jq -r .ipfs.state "$(jq -r .sidecar <<<"$l")")" = local ]
	done
	[ -z "$(ls -A "$WANDA_HOME/spool/new" 2>/dev/null)" ] || fail "queued: $(ls "$WANDA_HOME/spool/new")"
	run wanda-queue recover --orphan-age 0
	assert_success
	run wanda-capture --source test --session nq --count 1
	assert_success
	[ "$(ls "$WANDA_HOME/spool/new" | wc -l)" -eq 1 ] || fail "entries: $(ls "$WANDA_HOME/spool/new")"
}

@test "the sidecar's CID is the one an independent UnixFS importer (and wanda-dag add) computes" {
	run wanda-capture --source test --session s1 --width 4000 --height 3000
	assert_success
	img=$(jq -r .path <<<"$output")
	cid=$(jq -r .cid <<<"$output")
	[ "$(stat -c %s "$img")" -gt 1048576 ] || fail "want a multi-chunk image"
	run ref_cid "$img"
	assert_success
	assert_output "$cid"
	if wanda-dag add --profile=unixfs-v1-2025 -Q "$img" >"$BATS_TEST_TMPDIR/dag" 2>/dev/null; then
		[ "$(cat "$BATS_TEST_TMPDIR/dag")" = "$cid" ] || fail "wanda-dag add: $(cat "$BATS_TEST_TMPDIR/dag")"
	fi
}

@test "test source: same seed, same stars; 12 megapixels work" {
	run wanda-capture --source test --session big --width 4000 --height 3000 --jq '{path,width,height}'
	assert_success
	[ "$(jq -c '[.width,.height]' <<<"$output")" = "[4000,3000]" ]
	run jinfo "$(jq -r .path <<<"$output")"
	assert_success
	[ "$(jq -c '[.width,.height]' <<<"$output")" = "[4000,3000]" ]
}

@test "file source copies, keeps the original, dates it from its mtime; --move removes it" {
	"$WANDA_TESTBIN/mkjpeg" 800 600 3 "$BATS_TEST_TMPDIR/a.jpg"
	"$WANDA_TESTBIN/mkjpeg" 640 480 4 "$BATS_TEST_TMPDIR/b.jpg"
	touch -d '2025-06-01 22:15:30 UTC' "$BATS_TEST_TMPDIR/a.jpg"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/a.jpg")
	run wanda-capture --source file --session ingest "$BATS_TEST_TMPDIR/a.jpg" "$BATS_TEST_TMPDIR/b.jpg"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	check_capture "${lines[0]}"
	check_capture "${lines[1]}"
	assert_file_exists "$BATS_TEST_TMPDIR/a.jpg"
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/a.jpg")" = "$sum" ] || fail "original changed"
	[ "$(jq -r .captured_at <<<"${lines[0]}")" = "2025-06-01T22:15:30.000Z" ]
	[ "$(jinfo "$(jq -r .path <<<"${lines[0]}")" | jq -r .datetime_original)" = "2025:06:01 22:15:30" ]
	[ "$(jq -r .camera <<<"${lines[0]}")" = file ]
	run wanda-capture --source file --session ingest --move "$BATS_TEST_TMPDIR/b.jpg"
	assert_success
	assert_file_not_exists "$BATS_TEST_TMPDIR/b.jpg"
}

@test "file source: a missing file and a non-JPEG fail cleanly and leave nothing" {
	echo "not a picture" >"$BATS_TEST_TMPDIR/x.jpg"
	run wanda-capture --source file --session bad "$BATS_TEST_TMPDIR/x.jpg"
	[ "$status" -eq 65 ] || fail "status $status"
	assert_output --partial "x.jpg"
	run wanda-capture --source file --session bad "$BATS_TEST_TMPDIR/none.jpg"
	[ "$status" -eq 66 ] || fail "status $status"
	[ -z "$(ls -A "$WANDA_HOME/captures/bad")" ] || fail "files left: $(ls -A "$WANDA_HOME/captures/bad")"
	[ ! -d "$WANDA_HOME/spool/new" ] || [ -z "$(ls -A "$WANDA_HOME/spool/new")" ] || fail "spool entry left"
}

@test "file source: a FIFO is refused at once (65), not waited on" {
	mkfifo "$BATS_TEST_TMPDIR/fifo.jpg"
	run --separate-stderr timeout 10 wanda-capture --source file --session ff "$BATS_TEST_TMPDIR/fifo.jpg"
	assert_failure 65
	[[ $stderr == *"fifo.jpg: not a regular file"* ]] || fail "stderr: $stderr"
}

# set_sof_size FILE W H [MARKER]: rewrite the frame header's size (a
# decompression bomb's header on a small body); MARKER c0 (baseline, the
# default) or c2 (progressive)
set_sof_size() {
	local off
	off=$(LC_ALL=C grep -obUaP "\\xff\\x${4:-c0}" "$1" | head -1 | cut -d: -f1)
	printf "\\x$(printf %02x $(($3 >> 8)))\\x$(printf %02x $(($3 & 255)))\\x$(printf %02x $(($2 >> 8)))\\x$(printf %02x $(($2 & 255)))" |
		dd of="$1" bs=1 seek=$((off + 5)) conv=notrunc status=none
}

@test "file source: a header claiming 65500x65500 is refused before decoding (65), nothing queued" {
	"$WANDA_TESTBIN/mkjpeg" 64 64 1 "$BATS_TEST_TMPDIR/bomb.jpg"
	set_sof_size "$BATS_TEST_TMPDIR/bomb.jpg" 65500 65500
	run --separate-stderr timeout 20 wanda-capture --source file --session bomb "$BATS_TEST_TMPDIR/bomb.jpg"
	assert_failure 65
	[[ $stderr == *"bomb.jpg: 65500x65500 is 4290.2 MP, over max_pixels (100.0 MP)"* ]] || fail "stderr: $stderr"
	[ -z "$(ls -A "$WANDA_HOME/captures/bomb")" ]
	[ ! -d "$WANDA_HOME/spool/new" ] || [ -z "$(ls -A "$WANDA_HOME/spool/new")" ] || fail "queued"
}

@test "max_pixels is configured; a picture under it is taken" {
	"$WANDA_TESTBIN/mkjpeg" 100 100 1 "$BATS_TEST_TMPDIR/p.jpg"
	WANDA_MAX_PIXELS=9999 run --separate-stderr wanda-capture --source file --session mp "$BATS_TEST_TMPDIR/p.jpg"
	assert_failure 65
	[[ $stderr == *"p.jpg: 100x100 is 0.0 MP, over max_pixels (0.0 MP)"* ]] || fail "stderr: $stderr"
	WANDA_MAX_PIXELS=10000 run --separate-stderr wanda-capture --source file --session mp "$BATS_TEST_TMPDIR/p.jpg"
	assert_success
}

@test "file source: a truncated JPEG (a camera that wrote half a file) is a failed capture (65), nothing queued" {
	"$WANDA_TESTBIN/mkjpeg" 800 600 5 "$BATS_TEST_TMPDIR/full.jpg"
	head -c "$(($(stat -c %s "$BATS_TEST_TMPDIR/full.jpg") / 2))" "$BATS_TEST_TMPDIR/full.jpg" >"$BATS_TEST_TMPDIR/half.jpg"
	run --separate-stderr wanda-capture --source file --session cut "$BATS_TEST_TMPDIR/half.jpg"
	assert_failure 65
	[[ $stderr == *"half.jpg: truncated JPEG (premature end of data"* ]] || fail "stderr: $stderr"
	[ -z "$(ls -A "$WANDA_HOME/captures/cut")" ]
	[ ! -d "$WANDA_HOME/spool/new" ] || [ -z "$(ls -A "$WANDA_HOME/spool/new")" ] || fail "queued"
}

# the capture-failed event of a file source: one line, exit 65, nothing
# kept and nothing queued (a picture without its thumbnail is not taken)
assert_failed_capture() {
	assert_failure 65
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "stderr: $stderr"
	[[ $stderr == *"$1"* ]] || fail "stderr: $stderr"
	assert_equal "$(jq -r .event <<<"$output")" capture-failed
	[[ $(jq -r .message <<<"$output") == *"$1"* ]] || fail "event: $output"
	[ -z "$(ls -A "$WANDA_HOME/captures/$2")" ]
	[ ! -d "$WANDA_HOME/spool/new" ] || [ -z "$(ls -A "$WANDA_HOME/spool/new")" ] || fail "queued"
}

@test "file source: a CMYK JPEG is a failed capture whose error names the file and the colour space (65)" {
	"$WANDA_TESTBIN/mkjpeg" 640 480 3 "$BATS_TEST_TMPDIR/print.jpg" cmyk
	run --separate-stderr wanda-capture --source file --session cmyk "$BATS_TEST_TMPDIR/print.jpg"
	assert_failed_capture "print.jpg: thumbnail: CMYK colour space not supported" cmyk
}

@test "file source: a progressive JPEG over libjpeg's memory cap fails at once, its error naming the file (65)" {
	# 20000x20000 is under max_pixels raised to 400 MP, but its
	# coefficients (1.2 GB) are over the 512 MiB libjpeg may take
	"$WANDA_TESTBIN/mkjpeg" 64 64 4 "$BATS_TEST_TMPDIR/huge.jpg" progressive
	set_sof_size "$BATS_TEST_TMPDIR/huge.jpg" 20000 20000 c2
	WANDA_MAX_PIXELS=400000000 run --separate-stderr timeout 20 wanda-capture --source file --session mem \
		"$BATS_TEST_TMPDIR/huge.jpg"
	assert_failed_capture "huge.jpg: thumbnail: needs more than 512 MiB to decode (libjpeg: " mem
}

@test "rpicam source passes exposure, gain, awb, size, raw and settle to rpicam-still" {
	run wanda-capture --source rpicam --session r --exposure 30s --gain 4 --awb daylight \
		--width 1024 --height 768 --raw --timeout 20s
	assert_success
	check_capture "$output"
	args=$(grep '^rpicam-still ' "$FAKE_LOG")
	for want in "--shutter 30000000" "--gain 4" "--awb daylight" "--width 1024" "--height 768" "--raw" "--immediate" "--nopreview"; do
		[[ " $args " == *" $want "* ]] || fail "rpicam-still not given '$want': $args"
	done
	[ "$(jinfo "$(jq -r .path <<<"$output")" | jq -c '[.width,.height]')" = "[1024,768]" ]
	raw=$(jq -r .raw <<<"$output")
	assert_file_exists "$raw"
	[[ $raw == *.dng ]] || fail "raw $raw"
	side=$(jq -r .sidecar <<<"$output")
	[ "$(jq -r .exposure_us "$side")" = 30000000 ]
	[ "$(jq -r .gain "$side")" = 4 ]
	[ "$(jq -r .awb "$side")" = daylight ]
	[ "$(jq -r .raw "$side")" = "$(basename "$raw")" ]
	[[ $(jq -r .raw_cid "$side") == bafk* ]] || fail "raw_cid"
	: >"$FAKE_LOG"
	run wanda-capture --source rpicam --session r --exposure 1/250 --awb 1.8,1.5 --settle 10
	assert_success
	args=$(grep '^rpicam-still ' "$FAKE_LOG")
	for want in "--shutter 4000" "--awbgains 1.8,1.5" "--timeout 40"; do
		[[ " $args " == *" $want "* ]] || fail "rpicam-still not given '$want': $args"
	done
	[[ " $args " != *" --immediate "* ]] || fail "--immediate with settle frames"
}

@test "cam source lists cameras, captures settle+1 BGR888 frames with a control script, encodes the last" {
	run wanda-capture --source cam --session c --exposure 2s --gain 2.5 --awb 2.0,1.25 \
		--width 320 --height 240 --settle 2
	assert_success
	check_capture "$output"
	grep -q '^cam --list$' "$FAKE_LOG" || fail "no cam --list: $(cat "$FAKE_LOG")"
	args=$(grep '^cam --camera' "$FAKE_LOG")
	for want in "--camera=1" "--capture=3" "--stream=role=still,width=320,height=240,pixelformat=BGR888"; do
		[[ " $args " == *" $want "* ]] || fail "cam not given '$want': $args"
	done
	[[ $args == *--script=* ]] || fail "no --script"
	grep -q 'ExposureTime: 2000000' "$FAKE_LOG.script"
	grep -q 'AnalogueGain: 2.5' "$FAKE_LOG.script"
	grep -q 'AeEnable: false' "$FAKE_LOG.script"
	grep -q 'ColourGains: \[2, 1.25\]' "$FAKE_LOG.script"
	[ "$(jq -r .camera <<<"$output")" = imx477 ]
	[ "$(jinfo "$(jq -r .path <<<"$output")" | jq -c '[.width,.height]')" = "[320,240]" ]
	# the scratch frames are gone
	[ -z "$(find "$WANDA_HOME/captures/c" -name '.capture.*')" ] || fail "scratch left"
}

@test "a missing camera program or a failing one is a clear error (69)" {
	run env PATH=/usr/bin:/bin "$WANDA_BIN/wanda-capture" --source rpicam --session x
	[ "$status" -eq 69 ] || fail "status $status: $output"
	assert_output --partial "rpicam-still"
	run env FAKE_FAIL=3 wanda-capture --source rpicam --session x
	[ "$status" -eq 69 ] || fail "status $status"
	assert_output --partial "exited 3"
	assert_output --partial "no cameras available"
}

@test "timelapse: capture k starts at start + k*interval, however long captures take" {
	# each capture takes ~0.3 s: a schedule that slept the interval after each
	# capture would drift by that much per capture (all scaled by WANDA_TEST_SLOW)
	iv=$(slow_ms 1000)
	run --separate-stderr env FAKE_SLEEP="$(slow_s 300)" wanda-capture --source rpicam --session tl \
		--interval "${iv}ms" --count 4
	assert_success
	[ "${#lines[@]}" -eq 4 ] || fail "output: $output; stderr: $stderr"
	t0=$(epoch_ms "$(jq -r .captured_at <<<"${lines[0]}")")
	for k in 0 1 2 3; do
		check_capture "${lines[$k]}"
		[ "$(jq .slot <<<"${lines[$k]}")" -eq $k ]
		t=$(epoch_ms "$(jq -r .captured_at <<<"${lines[$k]}")")
		d=$((t - t0 - k * iv))
		[ ${d#-} -le "$(slow_ms 150)" ] || fail "capture $k off schedule by ${d} ms"
	done
	[ -z "$stderr" ] || fail "unexpected events: $stderr"
}

@test "timelapse: an overrun is reported and its slot skipped, never shifted" {
	iv=$(slow_ms 1000)
	run --separate-stderr env FAKE_SLEEP="$(slow_s 1300)" wanda-capture --source rpicam --session ov \
		--interval "${iv}ms" --count 4 --timeout "$(slow_ms 10000)ms"
	assert_success
	caps=$(grep -v '"event"' <<<"$output")
	evs=$(grep '"event"' <<<"$output")
	[ "$(wc -l <<<"$caps")" -eq 2 ] || fail "captures: $caps"
	[ "$(jq -s -c 'map(.slot)' <<<"$caps")" = "[0,2]" ]
	[ "$(jq -s -c 'map([.event,.slot,.skipped])' <<<"$evs")" = '[["overrun",1,1],["overrun",3,1]]' ]
	# slot 2 started on its own time, not after the overrun
	s0=$(grep '^rpicam-still' "$FAKE_LOG" | wc -l)
	[ "$s0" -eq 2 ]
	t0=$(epoch_ms "$(jq -s -r '.[0].captured_at' <<<"$caps")")
	t2=$(epoch_ms "$(jq -s -r '.[1].captured_at' <<<"$caps")")
	d=$((t2 - t0 - 2 * iv))
	[ ${d#-} -le "$(slow_ms 150)" ] || fail "slot 2 off by $d ms"
	[ "$(grep -c '"event":"overrun"' "$WANDA_HOME/events.jsonl")" -eq 2 ]
	[[ $stderr == *"overran"* ]] || fail "stderr: $stderr"
}

@test "a hanging camera is killed at the timeout, reported, and the timelapse goes on" {
	touch "$BATS_TEST_TMPDIR/hang"
	export FAKE_HANG_ONCE="$BATS_TEST_TMPDIR/hang" FAKE_PIDFILE="$BATS_TEST_TMPDIR/pid"
	start=$(date +%s%3N)
	run --separate-stderr wanda-capture --source rpicam --session to --timeout 1s --interval 2s --count 2
	[ "$status" -eq 75 ] || fail "status $status"
	ev=$(grep '"event":"timeout"' <<<"$output")
	[ "$(jq -r .slot <<<"$ev")" = 0 ]
	[[ $(jq -r .message <<<"$ev") == *"timed out"* ]] || fail "message: $ev"
	caps=$(grep -v '"event"' <<<"$output")
	[ "$(jq -s -c 'map(.slot)' <<<"$caps")" = "[1]" ]
	check_capture "$caps"
	! kill -0 "$(cat "$BATS_TEST_TMPDIR/pid")" 2>/dev/null || fail "hung camera still running"
	grep -q '"event":"timeout"' "$WANDA_HOME/events.jsonl"
}

@test "a camera that ignores SIGTERM gets SIGKILL" {
	export FAKE_HANG=1 FAKE_IGNORE_TERM=1 FAKE_PIDFILE="$BATS_TEST_TMPDIR/pid"
	start=$(date +%s)
	run wanda-capture --source rpicam --session to --timeout 1s
	[ "$status" -eq 75 ] || fail "status $status"
	assert_output --partial "killed"
	[ $(($(date +%s) - start)) -lt 8 ] || fail "took too long"
	! kill -0 "$(cat "$BATS_TEST_TMPDIR/pid")" 2>/dev/null || fail "camera still running"
}

@test "ids are unique and sorted across two concurrent capture processes" {
	wanda-capture --source test --session p --width 64 --height 48 --count 25 --jq .id >"$BATS_TEST_TMPDIR/a" &
	wanda-capture --source test --session p --width 64 --height 48 --count 25 --jq .id >"$BATS_TEST_TMPDIR/b" &
	wait
	[ "$(wc -l <"$BATS_TEST_TMPDIR/a")" -eq 25 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/b")" -eq 25 ]
	sort -c "$BATS_TEST_TMPDIR/a"
	sort -c "$BATS_TEST_TMPDIR/b"
	[ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | sort -u | wc -l)" -eq 50 ] || fail "ids collided"
	[ "$(ls "$WANDA_HOME/captures/p" | grep -c '\.jpg$')" -eq 50 ]
	[ "$(ls "$WANDA_HOME/spool/new" | wc -l)" -eq 50 ]
}

@test "sessions: start, list, stop queues a session entry; a closed session refuses captures" {
	run wanda-capture session start m42
	assert_success
	[ "$(jq -r .state <<<"$output")" = open ]
	wanda-capture --source test --session m42 --width 64 --height 48 --count 3 >/dev/null
	run wanda-capture session list
	assert_success
	[ "$(jq -r 'select(.session=="m42")|"\(.state) \(.captures)"' <<<"$output")" = "open 3" ]
	run wanda-capture session stop m42
	assert_success
	sid=$(jq -r .spool_id <<<"$output")
	assert_file_exists "$WANDA_HOME/spool/new/$sid"
	[ "$(jq -c '[.kind,.session]' "$WANDA_HOME/spool/new/$sid")" = '["session","m42"]' ]
	# it sorts after the captures made before it
	[ "$(ls "$WANDA_HOME/spool/new" | tail -1)" = "$sid" ]
	[ "$(jq -r .state "$WANDA_HOME/state/sessions/m42.json")" = closed ]
	run wanda-capture --source test --session m42
	[ "$status" -eq 65 ] || fail "status $status"
	assert_output --partial "closed"
	run wanda-capture session stop nosuch
	[ "$status" -eq 66 ] || fail "status $status"
	run wanda-capture --source test --session 'bad/name'
	[ "$status" -eq 64 ] || fail "status $status"
}

@test "the default session is the UTC date" {
	run wanda-capture --source test --width 64 --height 48 --jq .session
	assert_success
	output=$(jq -r . <<<"$output")
	assert_output "$(date -u +%Y-%m-%d)"
}

@test "bad arguments are usage errors naming the argument" {
	run wanda-capture --source test --exposure 5y
	[ "$status" -eq 64 ]
	assert_output --partial -- "--exposure"
	run wanda-capture --source nosuch
	[ "$status" -eq 64 ]
	assert_output --partial -- "--source"
	run wanda-capture --source test --min-free lots
	[ "$status" -eq 64 ]
	assert_output --partial -- "--min-free"
	run wanda-capture --source test --raw
	[ "$status" -eq 64 ]
	assert_output --partial -- "--raw"
	run wanda-capture --source file
	[ "$status" -eq 64 ]
}

mount_small() {
	MNT="$BATS_TEST_TMPDIR/mnt"
	mkdir -p "$MNT"
	mount -t tmpfs -o size=4m tmpfs "$MNT" 2>/dev/null || skip "cannot mount a tmpfs here (not root?)"
	export WANDA_HOME="$MNT/home"
	mkdir -p "$WANDA_HOME"
}

@test "disk guard: below --min-free capture refuses cleanly, earlier captures intact, resumes when space is freed" {
	mount_small
	run wanda-capture --source test --session d --min-free 1M
	assert_success
	first=$output
	img=$(jq -r .path <<<"$first")
	sum=$(sha256sum <"$img")
	# fill the card
	head -c 3000000 /dev/zero >"$MNT/ballast"
	run wanda-capture --source test --session d --min-free 1M
	[ "$status" -eq 73 ] || fail "status $status"
	ev=$(grep '"event":"disk-low"' <<<"$output")
	[ "$(jq -r .min_free <<<"$ev")" = 1048576 ]
	assert_output --partial "below --min-free"
	[ "$(ls "$WANDA_HOME/captures/d" | grep -c jpg)" -eq 1 ]
	[ "$(sha256sum <"$img")" = "$sum" ] || fail "earlier capture damaged"
	[ "$(ref_cid "$img")" = "$(jq -r .cid "${img%.jpg}.json")" ] || fail "earlier capture's CID"
	# above --min-free, but a 12 MP picture would take it below: refused too, nothing written
	rm "$MNT/ballast"
	avail=$(($(stat -f -c '%a*%S' "$MNT")))
	head -c $((avail - 1572864)) /dev/zero >"$MNT/ballast"
	run --separate-stderr wanda-capture --source test --session d --min-free 1M --width 4000 --height 3000
	[ "$status" -eq 73 ] || fail "status $status"
	[ "$(jq -r .event <<<"$output")" = disk-low ] || fail "output: $output"
	[ "$(jq -r .need <<<"$output")" -gt 2000000 ] || fail "need: $output"
	[ "$(ls "$WANDA_HOME/captures/d" | grep -c jpg)" -eq 1 ]
	[ -z "$(find "$WANDA_HOME/captures" -name '.capture.*' -o -name '*.tmp.*')" ] || fail "scratch left"
	rm "$MNT/ballast"
	head -c 3000000 /dev/zero >"$MNT/ballast"
	# a timelapse waits it out and resumes when space comes back
	wanda-capture --source test --session d --min-free 1M --interval 400ms --count 8 >"$BATS_TEST_TMPDIR/tl" &
	pid=$!
	sleep 1.1
	rm "$MNT/ballast"
	wait $pid || true
	jq -s -c 'map(.event // "capture")' "$BATS_TEST_TMPDIR/tl" >"$BATS_TEST_TMPDIR/kinds"
	kinds=$(cat "$BATS_TEST_TMPDIR/kinds")
	[[ $kinds == '["disk-low",'*'"disk-ok","capture"'* ]] || fail "events: $kinds"
	grep -q '"event":"disk-ok"' "$WANDA_HOME/events.jsonl"
	while read -r l; do check_capture "$l"; done < <(grep -v '"event"' "$BATS_TEST_TMPDIR/tl")
}

@test "disk guard: free space that fits no capture gives one disk-low, not disk-low/disk-ok by turns" {
	mount_small
	avail=$(($(stat -f -c '%a*%S' "$MNT")))
	head -c $((avail - 1572864)) /dev/zero >"$MNT/ballast"
	run --separate-stderr wanda-capture --source test --session h --min-free 1M --width 4000 --height 3000 \
		--interval 3s --count 3
	[ "$status" -eq 73 ] || fail "status $status"
	assert_equal "$(jq -s -c 'map(.event | select(. != "overrun"))' <<<"$output")" '["disk-low"]'
}

@test "disk full in the middle of a capture fails that capture only, leaving no partial files" {
	mount_small
	run wanda-capture --source test --session f --min-free 0 --width 320 --height 240
	assert_success
	first=$(jq -r .path <<<"$output")
	sum=$(sha256sum <"$first")
	# leave room for the small files but not for a 12 MP image
	avail=$(($(stat -f -c '%a*%S' "$MNT")))
	head -c $((avail - 200000)) /dev/zero >"$MNT/ballast" 2>/dev/null || true
	run wanda-capture --source test --session f --min-free 0 --width 4000 --height 3000
	[ "$status" -ne 0 ] || fail "captured onto a full disk"
	assert_output --partial '"event":"capture-failed"'
	[ "$(ls -A "$WANDA_HOME/captures/f" | grep -vc '^\.capture')" -eq 2 ] || fail "left: $(ls -A "$WANDA_HOME/captures/f")"
	[ -z "$(find "$WANDA_HOME" -name '*.tmp.*')" ] || fail "temp files left"
	[ "$(sha256sum <"$first")" = "$sum" ]
	[ "$(ls "$WANDA_HOME/spool/new" | wc -l)" -eq 1 ]
}

@test "crash recovery: an image without sidecar is completed, a lost entry requeued, leftovers swept" {
	run --separate-stderr wanda-capture --source test --session cr --width 320 --height 240 --count 3
	assert_success
	a=$(jq -r .id <<<"${lines[0]}") b=$(jq -r .id <<<"${lines[1]}")
	cid_a=$(jq -r .cid <<<"${lines[0]}")
	d="$WANDA_HOME/captures/cr"
	# killed after the image, before the sidecar: no sidecar, thumbnail, entry
	rm "$d/$a.json" "$WANDA_HOME/thumbs/cr/$a.jpg" "$WANDA_HOME/spool/new/$a"
	# killed after the sidecar, before the entry
	rm "$WANDA_HOME/spool/new/$b"
	# a dead process's scratch and temp files
	mkdir "$d/.capture.999999.abcdef"
	: >"$d/.$a.json.tmp.XyZ123"
	run --separate-stderr wanda-capture --source test --session cr --width 320 --height 240
	assert_success
	[ "$(jq -r 'select(.event=="recovered") | "\(.id) \(.how)"' <<<"$output" | sort)" = "$(printf '%s completed\n%s requeued' "$a" "$b" | sort)" ]
	[ "$(jq -r .cid "$d/$a.json")" = "$cid_a" ] || fail "recovered CID differs"
	[ "$(jq -r .ipfs.state "$d/$a.json")" = queued ]
	assert_file_exists "$WANDA_HOME/thumbs/cr/$a.jpg"
	assert_file_exists "$WANDA_HOME/spool/new/$a"
	assert_file_exists "$WANDA_HOME/spool/new/$b"
	[ ! -e "$d/.capture.999999.abcdef" ] || fail "dead scratch left"
	[ ! -e "$d/.$a.json.tmp.XyZ123" ] || fail "temp file left"
	[ "$(grep -c '"event":"recovered"' "$WANDA_HOME/events.jsonl")" -eq 2 ]
	# nothing more to do the next time
	run --separate-stderr wanda-capture --source test --session cr --width 320 --height 240
	assert_success
	[ -z "$(grep '"event"' <<<"$output")" ] || fail "repaired twice: $output"
}

@test "SIGKILL at random moments: after a restart every image has its sidecar and queue entry" {
	seed=${CAPTURE_KILL_SEED:-$RANDOM}
	echo "# kill seed $seed" >&3
	RANDOM=$seed
	for i in $(seq 1 12); do
		wanda-capture --source test --session kill --width 1600 --height 1200 --count 1000 >/dev/null 2>&1 &
		pid=$!
		sleep "$(slow_s $((RANDOM % 100 * 10)))"
		kill -KILL $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	done
	run --separate-stderr wanda-capture --source test --session kill --width 320 --height 240
	assert_success
	d="$WANDA_HOME/captures/kill"
	n=0
	for img in "$d"/*.jpg; do
		id=$(basename "$img" .jpg)
		n=$((n + 1))
		assert_file_exists "$d/$id.json"
		jq -e . "$d/$id.json" >/dev/null || fail "$id.json half-written"
		[ "$(jq -r .cid "$d/$id.json")" = "$(jq -r .cid "$WANDA_HOME/spool/new/$id")" ] || fail "$id: no entry or another CID"
		jinfo "$img" >/dev/null || fail "$img damaged"
	done
	[ $n -ge 2 ] || fail "only $n captures"
	[ -z "$(find "$WANDA_HOME" -name '*.tmp.*' -o -name '.capture.*')" ] || fail "leftovers: $(find "$WANDA_HOME" -name '*.tmp.*' -o -name '.capture.*')"
	[ "$(ls "$WANDA_HOME/spool/new" | wc -l)" -eq $n ]
}
