#!/usr/bin/env bats
# wanda-serve over curl against a real Kubo node: every route, the errors,
# the token, the Host check, path tricks, a malformed sidecar, live events,
# limits, a clean stop, and the daemon stopped mid-run (last test).
load helper
load ipfs
load one-node

setup() {
	wanda_fresh_home
	OUT="$BATS_TEST_TMPDIR/serve.out"
}

teardown() {
	serve_stop
}

# captures N [SESSION]: N test captures pushed through the real pipeline.
captures() {
	wanda-capture --source test --session "${2:-s1}" --count "$1" --interval 0 \
		--width 320 --height 240 >/dev/null
	wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack >/dev/null
}

# serve_start [ARGS]: wanda-serve on a free loopback port; sets URL, PORT, SERVE_PID.
serve_start() {
	wanda-serve --listen 127.0.0.1:0 --public-gateway https://gw.example "$@" >"$OUT" 2>"$OUT.err" 3>&- &
	SERVE_PID=$!
	for _ in $(seq 200); do [ -s "$OUT" ] && break; sleep 0.05; done
	URL=$(head -1 "$OUT" | jq -r .url)
	PORT=${URL##*:}
	TOKEN=$(cat "$WANDA_HOME/state/serve.token" 2>/dev/null || true)
}

serve_stop() {
	[ -n "${SERVE_PID:-}" ] || return 0
	kill "$SERVE_PID" 2>/dev/null || true
	# a server that does not stop fails the test instead of hanging it
	for _ in $(seq 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$SERVE_PID" 2>/dev/null; then
		kill -9 "$SERVE_PID"
		wait "$SERVE_PID" 2>/dev/null
		SERVE_PID=
		echo "wanda-serve did not stop on SIGTERM" >&2
		return 1
	fi
	wait "$SERVE_PID" 2>/dev/null || true
	SERVE_PID=
}

# get PATH [CURL ARGS]: body on stdout, "HTTP STATUS" as the last line.
get() { local p=$1; shift; curl -s -m 20 -w '\n%{http_code}' "$@" "$URL$p"; }
status_of() { tail -1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }

# svg_to_png SVG PNG: rasterize wanda-serve's QR SVG (unit squares "Mx yh1v1h-1z"
# in a viewBox) at 8 px per module, through a PBM.
svg_to_png() {
	local w
	w=$(grep -o 'viewBox="0 0 [0-9]*' "$1" | awk '{print $3}')
	grep -o 'M[0-9]* [0-9]*h1v1h-1z' "$1" | sed 's/^M\([0-9]*\) \([0-9]*\)h.*/\1 \2/' | awk -v w="$w" -v s=8 '
		{ on[$1 "," $2] = 1 }
		END { print "P1"; print w * s, w * s
		      for (y = 0; y < w * s; y++) { line = ""
		        for (x = 0; x < w * s; x++) line = line ((int(x / s) "," int(y / s)) in on ? "1 " : "0 ")
		        print line } }' >"$2.pbm"
	convert "$2.pbm" "$2"
}

newest_id() { curl -s -m 10 "$URL/api/captures?limit=1" | jq -r '.captures[0].id'; }

@test "first line says where it listens (port 0 picks one); the token file is made 0600 once" {
	serve_start
	run head -1 "$OUT"
	assert_output --regexp '^\{"event":"listening","url":"http://127\.0\.0\.1:[0-9]+"'
	[ "$PORT" -gt 0 ]
	assert_equal "$(stat -c %a "$WANDA_HOME/state/serve.token")" 600
	[ "$(head -1 "$OUT" | jq .token_created)" = true ]
	first=$TOKEN
	serve_stop
	serve_start
	[ "$(head -1 "$OUT" | jq .token_created)" = false ]
	assert_equal "$TOKEN" "$first"
}

@test "SIGTERM stops it cleanly, event streams open" {
	serve_start
	curl -s -N -m 10 "$URL/api/events" >/dev/null 3>&- &
	sleep 0.5
	kill -TERM "$SERVE_PID"
	rc=0
	wait "$SERVE_PID" || rc=$?
	SERVE_PID=
	assert_equal "$rc" 0
	run tail -1 "$OUT"
	assert_output --partial '"event":"stopped"'
}

@test "every route in /api/openapi.json answers with its documented shape" {
	captures 2
	wanda-dag session s1 >/dev/null
	cid=$(jq -r .cid "$WANDA_HOME"/captures/s1/*.json | head -1)
	wanda-ipns --allow-offline publish "$cid" >/dev/null
	serve_start
	id=$(newest_id)
	name=$(jq -r .name "$WANDA_HOME/state/ipns.json")
	api=$(curl -s -m 10 "$URL/api/openapi.json")
	assert_equal "$(jq -r .openapi <<<"$api")" 3.0.3
	n=0
	for p in $(jq -r '.paths | to_entries[] | select(.value.get) | .key' <<<"$api"); do
		[ "$p" = /api/events ] && continue
		schema=$(jq -c --arg p "$p" '.paths[$p].get.responses["200"].content | to_entries[0]' <<<"$api")
		ctype=$(jq -r .key <<<"$schema")
		url=${p//\{id\}/$id}
		url=${url//\{cid\}/$cid}
		if [ "$p" = /api/sessions/{name} ]; then url=/api/sessions/s1; fi
		if [ "$p" = /api/ipns/{name} ]; then url=/api/ipns/$name; fi
		if [ "$p" = /api/qr.svg ]; then url="/api/qr.svg?cid=$cid"; fi
		run curl -s -m 20 -o "$BATS_TEST_TMPDIR/body" -w '%{http_code} %{content_type}' "$URL$url"
		assert_output --regexp "^200 " || fail "$url: $output"
		if [ "$ctype" = application/json ]; then
			ref=$(jq -r '.value.schema["$ref"] // empty' <<<"$schema")
			if [ -n "$ref" ]; then
				req=$(jq -c --arg r "${ref##*/}" '.components.schemas[$r].required' <<<"$api")
			else
				req=$(jq -c '.value.schema.required // []' <<<"$schema")
			fi
			jq -e --argjson req "$req" '. as $o | all($req[]; . as $k | $o | has($k))' "$BATS_TEST_TMPDIR/body" >/dev/null ||
				fail "$url: missing one of $req: $(head -c 300 "$BATS_TEST_TMPDIR/body")"
		elif [ "$ctype" = image/jpeg ]; then
			assert_output --partial image/jpeg
		fi
		n=$((n + 1))
	done
	[ "$n" -ge 19 ] || fail "only $n routes checked"
}

@test "captures: newest first, paged with next, filtered by session and time" {
	captures 3 s1
	captures 2 s2
	serve_start
	r=$(curl -s "$URL/api/captures?limit=2")
	assert_equal "$(jq '.captures | length' <<<"$r")" 2
	all=$(curl -s "$URL/api/captures?limit=500" | jq -r '.captures[].id')
	assert_equal "$all" "$(ls "$WANDA_HOME"/captures/*/ | grep '\.json$' | sed 's/\.json$//' | sort -r)"
	next=$(jq -r .next <<<"$r")
	r2=$(curl -s "$URL/api/captures?limit=2&before=$next")
	assert_equal "$(jq -r '.captures[0].id' <<<"$r2")" "$(sed -n 3p <<<"$all")"
	r3=$(curl -s "$URL/api/captures?limit=10&before=$(jq -r .next <<<"$r2")")
	assert_equal "$(jq '.captures | length' <<<"$r3")" 1
	assert_equal "$(jq -r .next <<<"$r3")" null
	assert_equal "$(curl -s "$URL/api/captures?session=s2" | jq .count)" 2
	assert_equal "$(curl -s "$URL/api/captures?since=2999-01-01T00:00:00Z" | jq .count)" 0
	assert_equal "$(curl -s "$URL/api/captures?until=2999-01-01T00:00:00Z" | jq .count)" 5
	for q in limit=0 limit=501 limit=x since=yesterday session=../x before=a/b view=both; do
		r=$(get "/api/captures?$q")
		assert_equal "$(status_of "$r")" 400
		body_of "$r" | jq -e .error >/dev/null
	done
}

@test "the captures list is cached only while nothing under captures/ changes" {
	captures 2
	serve_start
	sleep 2.2                      # past the 2 s window in which mtimes are too coarse to trust
	first=$(curl -s "$URL/api/captures")
	assert_equal "$(curl -s "$URL/api/captures")" "$first"
	captures 1
	assert_equal "$(curl -s "$URL/api/captures" | jq .count)" 3
	sleep 2.2
	curl -s "$URL/api/captures" >/dev/null
	sc=$(ls "$WANDA_HOME"/captures/s1/*.json | head -1)
	jq '.camera = "renamed"' "$sc" >"$sc.tmp"
	mv "$sc.tmp" "$sc"
	run curl -s "$URL/api/captures"
	assert_output --partial '"camera":"renamed"'
}

@test "a FIFO or a symlink where a thumbnail should be is a 404 at once; the server goes on" {
	captures 2
	serve_start
	ids=$(curl -s -m 10 "$URL/api/captures" | jq -r '.captures[].id')
	a=$(head -1 <<<"$ids") b=$(tail -1 <<<"$ids")
	rm "$WANDA_HOME/thumbs/s1/$a.jpg" "$WANDA_HOME/thumbs/s1/$b.jpg"
	mkfifo "$WANDA_HOME/thumbs/s1/$a.jpg"
	ln -s /etc/passwd "$WANDA_HOME/thumbs/s1/$b.jpg"
	for id in "$a" "$b"; do
		r=$(get "/api/captures/$id/thumb" -m 10)
		assert_equal "$(status_of "$r")" 404
		[[ $(body_of "$r") == *"not a plain file"* ]] || fail "$id: $r"
	done
	assert_equal "$(status_of "$(get /api/captures -o /dev/null)")" 200
	# no thread is stuck in open(): it stops when told
	serve_stop
}

@test "images, thumbnails and IPFS content by capture id and CID, with Range" {
	captures 1
	serve_start
	id=$(newest_id)
	img=$(ls "$WANDA_HOME"/captures/s1/*.jpg)
	cid=$(jq -r .cid "$WANDA_HOME"/captures/s1/*.json)
	curl -sf "$URL/api/captures/$id/image" -o "$BATS_TEST_TMPDIR/i.jpg"
	cmp "$img" "$BATS_TEST_TMPDIR/i.jpg"
	curl -sf "$URL/api/captures/$id/thumb" -o "$BATS_TEST_TMPDIR/t.jpg"
	cmp "$WANDA_HOME/thumbs/s1/$id.jpg" "$BATS_TEST_TMPDIR/t.jpg"
	run curl -s -D - -o "$BATS_TEST_TMPDIR/c.jpg" "$URL/api/ipfs/$cid"
	assert_output --partial "Content-Type: image/jpeg"
	assert_output --partial "Content-Security-Policy: sandbox"
	cmp "$img" "$BATS_TEST_TMPDIR/c.jpg"
	for p in "/api/captures/$id/image" "/api/ipfs/$cid"; do
		run curl -s -D - -o "$BATS_TEST_TMPDIR/part" -H 'Range: bytes=100-199' "$URL$p"
		assert_output --partial "206 Partial Content"
		assert_output --partial "Content-Range: bytes 100-199/$(stat -c %s "$img")"
		cmp "$BATS_TEST_TMPDIR/part" <(tail -c +101 "$img" | head -c 100)
		r=$(get "$p" -o /dev/null -H 'Range: bytes=99999999-')
		assert_equal "$(status_of "$r")" 416
	done
	assert_equal "$(curl -s "$URL/api/captures/$id/cid" | jq -r .cid)" "$cid"
	r=$(get "/api/captures/20991231T000000.000Z-none-0000/image")
	assert_equal "$(status_of "$r")" 404
}

@test "the QR code decodes to the public gateway link" {
	command -v zbarimg >/dev/null || fail "zbarimg missing (contrib/install-deps)"
	captures 1
	serve_start
	id=$(newest_id)
	cid=$(curl -s "$URL/api/captures/$id/cid" | jq -r .cid)
	curl -sf "$URL/api/captures/$id/qr.svg" -o "$BATS_TEST_TMPDIR/qr.svg"
	svg_to_png "$BATS_TEST_TMPDIR/qr.svg" "$BATS_TEST_TMPDIR/qr.png"
	run --separate-stderr zbarimg -q --raw "$BATS_TEST_TMPDIR/qr.png"
	assert_output "https://gw.example/ipfs/$cid"
}

@test "pin and unpin need the token; they change Kubo's own pin list" {
	serve_start
	printf 'serve pin test %s' "$RANDOM" >"$BATS_TEST_TMPDIR/f"
	cid=$(curl -s -X POST -F "file=@$BATS_TEST_TMPDIR/f" "$WANDA_API/api/v0/add?pin=false&cid-version=1" | jq -r .Hash)
	body="{\"cid\":\"$cid\"}"
	r=$(get /api/ipfs/pin -X POST -H 'Content-Type: application/json' -d "$body")
	assert_equal "$(status_of "$r")" 401
	r=$(get /api/ipfs/pin -X POST -H 'Authorization: Bearer nope' -H 'Content-Type: application/json' -d "$body")
	assert_equal "$(status_of "$r")" 403
	run ipfs_rpc 1 pin/ls "arg=$cid"
	refute_output --partial recursive
	r=$(get /api/ipfs/pin -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$body")
	assert_equal "$(status_of "$r")" 200
	assert_equal "$(body_of "$r" | jq -r .status)" pinned
	run ipfs_rpc 1 pin/ls "arg=$cid"
	assert_output --partial recursive
	assert_equal "$(curl -s "$URL/api/ipfs/pin/$cid" | jq -r .status)" pinned
	r=$(get "/api/ipfs/pin/$cid" -X DELETE)
	assert_equal "$(status_of "$r")" 401
	r=$(get "/api/ipfs/pin/$cid" -X DELETE -H "Authorization: Bearer $TOKEN")
	assert_equal "$(status_of "$r")" 200
	run ipfs_rpc 1 pin/ls "arg=$cid"
	refute_output --partial recursive
	r=$(get "/api/ipfs/pin/$cid" -X DELETE -H "Authorization: Bearer $TOKEN")
	assert_equal "$(status_of "$r")" 404
	r=$(get /api/ipfs/pin -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' -d "$body")
	assert_equal "$(status_of "$r")" 415
	r=$(get /api/ipfs/pin -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"cid":"../etc"}')
	assert_equal "$(status_of "$r")" 400
	r=$(get /api/ipfs/pin -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary "$(head -c 5000 /dev/zero | tr '\0' x)")
	assert_equal "$(status_of "$r")" 413
	r=$(get /api/ipfs/pin -X PUT -H "Authorization: Bearer $TOKEN")
	assert_equal "$(status_of "$r")" 405
	grep -q '"status":413' "$OUT"
	grep -q '"status":401' "$OUT"
}

@test "the Host header must name the server (DNS rebinding), and no CORS" {
	serve_start --host pi.example
	r=$(get /api/queue -H 'Host: evil.example')
	assert_equal "$(status_of "$r")" 421
	r=$(get /api/queue -H "Host: evil.example:$PORT")
	assert_equal "$(status_of "$r")" 421
	for h in "127.0.0.1:$PORT" "localhost:$PORT" "pi.example:$PORT"; do
		r=$(get /api/queue -H "Host: $h")
		assert_equal "$(status_of "$r")" 200
	done
	run curl -s -D - -o /dev/null -H 'Origin: http://evil.example' "$URL/api/queue"
	refute_output --partial "Access-Control-Allow-Origin"
	grep -q 'Host evil.example refused' "$OUT"
}

@test "path and id tricks never reach a file: .., encoded slashes, NUL, overlong" {
	captures 1
	serve_start
	id=$(newest_id)
	for p in "/api/captures/..%2f..%2f..%2fetc%2fpasswd/image" "/api/captures/../../etc/passwd" \
		"/api/captures/%2e%2e/image" "/api/captures/$id%00/image" "/api/captures/a%2fb/thumb" \
		"/api/captures/.hidden/image" "/api/sessions/..%2fstate" "/api/ipfs/..%2f" "/api/ipns/a%00b" \
		"/api/captures/$id/image/extra" "/%2e%2e/%2e%2e/etc/passwd" "/api/captures/%zz/image" \
		"/api/captures/$(head -c 300 /dev/zero | tr '\0' a)" "/api/x?$(head -c 3000 /dev/zero | tr '\0' a)"; do
		r=$(get "$p" --path-as-is)
		s=$(status_of "$r")
		[ "$s" -ge 400 ] && [ "$s" -lt 500 ] || fail "$p: $s"
		[[ $r != *root:* ]] || fail "$p served /etc/passwd"
	done
	# a sidecar that names a file outside its directory is refused, not followed
	sc=$WANDA_HOME/captures/s1/$id.json
	jq '.file = "../../../etc/passwd"' "$sc" >"$sc.tmp"
	mv "$sc.tmp" "$sc"
	r=$(get "/api/captures/$id/image")
	assert_equal "$(status_of "$r")" 422
	run curl -s "$URL/api/queue"
	assert_success
}

@test "a malformed sidecar: 422 for it, skipped in the list, the rest still served" {
	captures 2
	serve_start
	bad=$(ls "$WANDA_HOME"/captures/s1/*.json | head -1)
	badid=$(basename "$bad" .json)
	printf '{"id": "%s", "session": ' "$badid" >"$bad"
	r=$(get "/api/captures/$badid")
	assert_equal "$(status_of "$r")" 422
	r=$(curl -s "$URL/api/captures")
	assert_equal "$(jq .count <<<"$r")" 1
	assert_equal "$(jq .skipped <<<"$r")" 1
	echo '{"id":"someone-else","session":"s1","file":"x.jpg","cid":"bafkqaaa"}' >"$bad"
	r=$(get "/api/captures/$badid")
	assert_equal "$(status_of "$r")" 422
	grep -q sidecar_skipped "$OUT"
}

@test "sessions, queue, ipns and sync come from \$WANDA_HOME" {
	captures 2 s1
	wanda-capture --source test --session s3 --count 1 --interval 0 --width 160 --height 120 >/dev/null
	wanda-dag session s1 >/dev/null
	serve_start
	r=$(curl -s "$URL/api/sessions")
	assert_equal "$(jq -r '[.sessions[].name] | join(",")' <<<"$r")" s3,s1
	s1=$(curl -s "$URL/api/sessions/s1")
	assert_equal "$(jq -r .cid <<<"$s1")" "$(jq -r .cid "$WANDA_HOME/state/dags/s1.json")"
	assert_equal "$(jq .captures <<<"$s1")" 2
	r=$(get /api/sessions/nope)
	assert_equal "$(status_of "$r")" 404
	q=$(curl -s "$URL/api/queue")
	assert_equal "$(jq .counts.new <<<"$q")" 1
	assert_equal "$(jq .pending <<<"$q")" 1
	[ "$(jq .oldest_s <<<"$q")" -ge 0 ]
	assert_equal "$(curl -s "$URL/api/sync" | jq -c .peers)" '{}'
	scid=$(jq -r .cid "$WANDA_HOME/state/dags/s1.json")
	jq -n --arg c "$scid" '{v:1, peers:{"12D3KooWPeer":{last_success:null, failures:0,
		sessions:{"their-night":{state:"pinned", cid:$c, bytes:1, attempts:1, last_error:null, pinned_at:null},
		          "queued-one":{state:"queued", cid:$c, bytes:0, attempts:0, last_error:null, pinned_at:null}}}}}' \
		>"$WANDA_HOME/state/sync.json"
	assert_equal "$(curl -s "$URL/api/sync" | jq -r '.peers | keys[0]')" 12D3KooWPeer
	# the IPFS and All views add the peers' sessions pinned here (not the queued one)
	assert_equal "$(curl -s "$URL/api/sessions?view=ipfs" | jq -r '[.sessions[].name] | join(",")')" s1,their-night
	assert_equal "$(curl -s "$URL/api/sessions?view=all" | jq -r '.sessions[-1].peer')" 12D3KooWPeer
	assert_equal "$(curl -s "$URL/api/sessions?view=local" | jq '.sessions | length')" 2
	echo '{"peers": 3}' >"$WANDA_HOME/state/sync.json"
	r=$(get /api/sync)
	assert_equal "$(status_of "$r")" 500
	assert_equal "$(curl -s "$URL/api/ipns" | jq -r .name)" null
}

@test "the daemon's routes: status, stats, peers, IPNS resolve" {
	serve_start
	st=$(curl -s "$URL/api/ipfs/status")
	assert_equal "$(jq -r .daemon <<<"$st")" up
	assert_equal "$(jq -r .peer_id <<<"$st")" "$(ipfs_peer_id 1)"
	assert_equal "$(jq -r .version <<<"$st")" 0.43.1
	[ "$(curl -s "$URL/api/ipfs/stats" | jq .repo_size)" -gt 0 ]
	assert_equal "$(curl -s "$URL/api/ipfs/peers" | jq .count)" 0
	r=$(get /api/ipfs/notacid)
	assert_equal "$(status_of "$r")" 400
	r=$(get "/api/ipns/$(ipfs_peer_id 1)x")
	s=$(status_of "$r")
	[ "$s" -ge 400 ] || fail "resolve of a bad name: $s"
}

@test "live events: ids are offsets, Last-Event-ID resumes, heartbeats keep it open" {
	captures 1
	serve_start --heartbeat 300ms
	ev="$BATS_TEST_TMPDIR/ev"
	curl -s -N -m 4 "$URL/api/events" >"$ev" 3>&- &
	cpid=$!
	sleep 0.7
	captures 1
	wait "$cpid" || true
	run grep -c '^event: capture$' "$ev"
	assert_output 1
	grep -q '^event: ipfs_upload_complete$' "$ev"
	grep -q '^: heartbeat' "$ev"
	grep -q '^event: ipfs_status$' "$ev"
	# the id of the capture event: everything after it is replayed from there
	id=$(grep -B1 '^event: capture$' "$ev" | head -1 | sed 's/^id: //')
	run curl -s -N -m 1 -H "Last-Event-ID: $id" "$URL/api/events"
	assert_output --partial "event: ipfs_upload_start"
	refute_output --partial "event: capture"
	run curl -s -N -m 1 -H "Last-Event-ID: 0" "$URL/api/events"
	assert_equal "$(grep -c '^event: capture$' <<<"$output")" 2
	# an id that is no line boundary starts at the end
	run curl -s -N -m 1 -H "Last-Event-ID: 3" "$URL/api/events"
	refute_output --partial "event: capture"
	# an event bigger than one read of the stream arrives whole, live and replayed
	end=$(stat -c %s "$WANDA_HOME/events.jsonl")
	curl -s -N -m 3 "$URL/api/events" >"$ev" 3>&- &
	cpid=$!
	sleep 0.5
	printf '{"event":"big","pad":"%s"}\n' "$(head -c 12000 /dev/zero | tr '\0' x)" >>"$WANDA_HOME/events.jsonl"
	wait "$cpid" || true
	assert_equal "$(grep '^data: {"event":"big"' "$ev" | sed 's/^data: //' | jq -r '.pad | length')" 12000
	run curl -s -N -m 1 -H "Last-Event-ID: $end" "$URL/api/events"
	assert_equal "$(grep '^data: {"event":"big"' <<<"$output" | sed 's/^data: //' | jq -r '.pad | length')" 12000
}

@test "request headers too big: 431 with a log line" {
	serve_start
	r=$(get /api/queue -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)")
	assert_equal "$(status_of "$r")" 431
	grep -q '"event":"server".*431' "$OUT"
	r=$(get /api/queue)
	assert_equal "$(status_of "$r")" 200
}

@test "an event stream client that stops reading is dropped with a log line; a reading one keeps up" {
	serve_start --sse-buffer 64KiB
	ev="$BATS_TEST_TMPDIR/ev"
	exec 6<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n' "$PORT" >&6 # never read
	curl -s -N -m 30 "$URL/api/events" >"$ev" 3>&- &
	cpid=$!
	sleep 0.5
	rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")
	# 8 MB of events at once, far more than the ring and the socket buffers
	awk 'BEGIN { for (i = 0; i < 40000; i++) printf "{\"event\":\"filler\",\"n\":%d,\"pad\":\"%0150d\"}\n", i, 0 }' \
		>>"$WANDA_HOME/events.jsonl"
	echo '{"event":"marker"}' >>"$WANDA_HOME/events.jsonl"
	for _ in $(seq 200); do grep -q '^event: marker$' "$ev" && break; sleep 0.1; done
	grep -q '^event: marker$' "$ev"
	assert_equal "$(grep -c '^event: filler$' "$ev")" 40000
	for _ in $(seq 100); do grep -q events_client_dropped "$OUT" && break; sleep 0.1; done
	run grep -c '"event":"events_client_dropped"' "$OUT"
	assert_output 1
	# its connection is closed: what it holds ends
	rc=0
	timeout 20 cat <&6 >/dev/null || rc=$?
	exec 6<&-
	assert_equal "$rc" 0
	rss1=$(awk '/VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")
	[ $((rss1 - rss0)) -lt 32768 ] || fail "RSS grew from $rss0 to $rss1 kB"
	kill "$cpid"
}

@test "HEAD answers like GET without a body, on the IPFS routes too" {
	captures 1
	serve_start
	id=$(newest_id)
	cid=$(curl -s "$URL/api/captures/$id/cid" | jq -r .cid)
	for p in /api/ipfs/status /api/ipfs/stats /api/ipfs/peers "/api/ipfs/$cid" "/api/ipfs/pin/$cid" \
		/api/captures "/api/captures/$id/thumb" /api/queue /; do
		r=$(curl -s -I -m 20 -o /dev/null -w '%{http_code}' "$URL$p")
		assert_equal "$r" 200
	done
	size=$(curl -s "$URL/api/ipfs/$cid" | wc -c)
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'HEAD /api/ipfs/%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$cid" "$PORT" >&5
	timeout 20 cat <&5 >"$BATS_TEST_TMPDIR/head"
	exec 5<&-
	run cat "$BATS_TEST_TMPDIR/head"
	assert_line --partial "Content-Length: $size"
	assert_line --partial 'Content-Type: image/jpeg'
	# nothing after the blank line that ends the headers
	assert_equal "$(tail -c 4 "$BATS_TEST_TMPDIR/head" | od -An -c | tr -d ' ')" '\r\n\r\n'
	r=$(get "/api/ipfs/pin/$cid" -X PUT)
	assert_equal "$(status_of "$r")" 405
}

@test "live upload progress: wanda-push's ipfs_upload_progress events, bytes of total, on the stream" {
	serve_start
	ev="$BATS_TEST_TMPDIR/ev"
	curl -s -N -m 60 "$URL/api/events" >"$ev" 3>&- &
	cpid=$!
	sleep 0.5
	head -c 32M /dev/urandom >"$BATS_TEST_TMPDIR/big.bin"
	WANDA_PUSH_PROGRESS_EVERY=1ms wanda-push "$BATS_TEST_TMPDIR/big.bin" >/dev/null
	for _ in $(seq 200); do grep -q '^event: ipfs_upload_complete$' "$ev" && break; sleep 0.1; done
	kill "$cpid"
	grep '^data: {"event":"ipfs_upload_progress"' "$ev" | sed 's/^data: //' >"$BATS_TEST_TMPDIR/prog"
	n=$(wc -l <"$BATS_TEST_TMPDIR/prog")
	[ "$n" -ge 2 ] || fail "only $n progress events"
	run jq -s 'all(.file == "'"$BATS_TEST_TMPDIR/big.bin"'" and .total == 33554432 and .bytes > 0 and .bytes < .total)' \
		"$BATS_TEST_TMPDIR/prog"
	assert_output true
	run jq -s '[.[].bytes] | . == sort' "$BATS_TEST_TMPDIR/prog"
	assert_output true
	# between the start and the completion of that upload
	first=$(grep -n '^event: ipfs_upload_progress$' "$ev" | head -1 | cut -d: -f1)
	start=$(grep -n '^event: ipfs_upload_start$' "$ev" | head -1 | cut -d: -f1)
	end=$(grep -n '^event: ipfs_upload_complete$' "$ev" | head -1 | cut -d: -f1)
	[ "$start" -lt "$first" ]
	[ "$first" -lt "$end" ]
	# the default pace: none for a thumbnail-sized file
	head -c 64K /dev/urandom >"$BATS_TEST_TMPDIR/small.bin"
	wanda-push "$BATS_TEST_TMPDIR/small.bin" >/dev/null
	run grep -c 'small.bin","bytes"' "$WANDA_HOME/events.jsonl"
	assert_output 0
}

@test "too many connections: 503 and a log line" {
	serve_start --max-connections 1
	curl -s -N -m 5 "$URL/api/events" >/dev/null 3>&- &
	sleep 0.5
	r=$(get /api/queue)
	assert_equal "$(status_of "$r")" 503
	grep -q 'too many connections' "$OUT"
}

@test "a request that stalls is closed after --timeout, with a log line" {
	serve_start --timeout 1s
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /api/queue HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n' "$PORT" >&5   # headers never end
	sleep 2.5
	run timeout 5 cat <&5
	exec 5>&-
	assert_output ""
	grep -q '"event":"request_timeout"' "$OUT"
	r=$(get /api/queue)
	assert_equal "$(status_of "$r")" 200
}

@test "gallery page and OpenAPI are served with a strict CSP" {
	serve_start
	run curl -s -D - "$URL/"
	assert_output --partial "Content-Security-Policy: default-src 'self'"
	assert_output --partial "<title>WANDA</title>"
	assert_output --partial "X-Frame-Options: DENY"
	r=$(get /nope)
	assert_equal "$(status_of "$r")" 404
	r=$(get / -X POST)
	assert_equal "$(status_of "$r")" 405
}

# Last: it stops the node.
@test "the daemon stopped mid-run: 503 on the IPFS routes, local routes keep working" {
	captures 1
	serve_start
	id=$(newest_id)
	cid=$(curl -s "$URL/api/captures/$id/cid" | jq -r .cid)
	ipfs_stop
	for p in /api/ipfs/status /api/ipfs/stats /api/ipfs/peers "/api/ipfs/$cid" "/api/ipfs/pin/$cid"; do
		r=$(get "$p")
		assert_equal "$(status_of "$r")" 503
		assert_equal "$(body_of "$r" | jq -r .daemon)" down
	done
	r=$(get /api/ipfs/pin -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"cid\":\"$cid\"}")
	assert_equal "$(status_of "$r")" 503
	assert_equal "$(body_of "$r" | jq -r .status)" failed
	for p in /api/captures "/api/captures/$id" "/api/captures/$id/thumb" /api/sessions /api/queue /api/ipns /api/sync /; do
		r=$(get "$p" -o /dev/null)
		assert_equal "$(status_of "$r")" 200
	done
	for _ in $(seq 100); do grep -q daemon_down "$OUT" && break; sleep 0.1; done
	grep -q daemon_down "$OUT"
}
