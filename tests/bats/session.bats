#!/usr/bin/env bats
# wanda-dag session / root against a real IPFS node: the session DAG served
# by the node's gateway, the gallery page in headless Chromium, the node
# root's index.json, the spool hand-off, and a 20,000-capture session.
load helper
load ipfs
load one-node

setup() {
	wanda_fresh_home
	GW=$(ipfs_gateway 1)
}

# push FILE: add it to the node with WANDA's profile; prints "CID SIZE".
push() {
	curl -sSf -m 60 -X POST -F "file=@$1" \
		"$WANDA_API/api/v0/add?cid-version=1&raw-leaves=true&chunker=size-1048576&hash=sha2-256&pin=true&cid-base=base32" |
		jq -r '"\(.Hash) \(.Size)"'
}

# make_captures SESSION N: N captures as wanda-capture writes them (image,
# thumbnail, sidecar), then pushed to the node and marked pinned in their
# sidecars as wanda-push | wanda-queue ack would do.
make_captures() {
	local s=$1 n=$2 i id img sc cid size
	if command -v wanda-capture >/dev/null; then
		wanda-capture --source test --session "$s" --count "$n" --interval 0 --no-queue \
			--width 320 --height 240 >/dev/null || return
	else
		mkdir -p "$WANDA_HOME/captures/$s" "$WANDA_HOME/thumbs/$s"
		for ((i = 0; i < n; i++)); do
			id=$(printf '20261124T0300%02dZ-test-%06d' "$i" "$i")
			img=$WANDA_HOME/captures/$s/$id.jpg
			convert -seed "$((i + 1))" -size 320x240 plasma:fractal -quality 85 "$img"
			convert "$img" -thumbnail 160x120 "$WANDA_HOME/thumbs/$s/$id.jpg"
			jq -n --arg id "$id" --arg s "$s" --argjson bytes "$(stat -c %s "$img")" \
				--arg at "$(printf '2026-11-24T03:00:%02d.000Z' "$i")" \
				'{id:$id, session:$s, file:"\($id).jpg", bytes:$bytes, captured_at:$at,
				  camera:"test", width:320, height:240, profile:"unixfs-v1-2025",
				  thumb:"thumbs/\($s)/\($id).jpg", ipfs:{state:"queued"}}' \
				>"$WANDA_HOME/captures/$s/$id.json"
		done
	fi
	for sc in "$WANDA_HOME/captures/$s"/*.json; do
		img=$WANDA_HOME/captures/$s/$(jq -r .file "$sc")
		read -r cid size < <(push "$img") || return
		jq --arg cid "$cid" --argjson size "$size" \
			'.cid //= $cid | .tsize //= $size | .ipfs = {state:"pinned", cid:$cid}' \
			"$sc" >"$sc.tmp"
		mv "$sc.tmp" "$sc"
	done
}

session_cid() { wanda-dag session "$1" | jq -r .cid; }

# Sidecar field F of every capture of SESSION, in capture order.
sidecars() {
	jq -s -r --arg f "$2" 'sort_by(.captured_at, .id) | .[] | .[$f]' "$WANDA_HOME/captures/$1"/*.json
}

# gen_captures SESSION N THUMBS(0|1): N tiny fake captures with sidecars (CIDs
# computed here: a raw block's CIDv1), no daemon involved.
gen_captures() {
	python3 - "$WANDA_HOME" "$1" "$2" "$3" <<-'EOF'
	import sys, os, hashlib, base64, json
	home, sess, n, thumbs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
	cd, td = f"{home}/captures/{sess}", f"{home}/thumbs/{sess}"
	os.makedirs(cd); os.makedirs(td)
	jpeg = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
	def cid(b):
	    d = bytes([1, 0x55, 0x12, 0x20]) + hashlib.sha256(b).digest()
	    return "b" + base64.b32encode(d).decode().lower().rstrip("=")
	for i in range(n):
	    t = f"2026-11-24T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
	    cid_ = f"{t.replace('-', '').replace(':', '')}Z-big-{i:06d}"
	    img, th = jpeg + b"img%d" % i, jpeg + b"th%d" % i
	    open(f"{cd}/{cid_}.jpg", "wb").write(img)
	    if thumbs:
	        open(f"{td}/{cid_}.jpg", "wb").write(th)
	    json.dump({"id": cid_, "session": sess, "file": cid_ + ".jpg", "bytes": len(img),
	               "captured_at": t + ".000Z", "cid": cid(img), "tsize": len(img),
	               "thumb": f"thumbs/{sess}/{cid_}.jpg", "ipfs": {"state": "queued"}},
	              open(f"{cd}/{cid_}.json", "w"))
	EOF
}

@test "session: index.html, manifest.json and images come back byte-identical from the gateway" {
	make_captures obs1 6
	run wanda-dag session obs1
	assert_success
	cid=$(jq -r .cid <<<"$output")
	assert_equal "$(jq -r '.count, .skipped, .imported, .pinned' <<<"$output" | xargs)" "6 0 true true"
	# recorded in state
	assert_equal "$(jq -r .cid "$WANDA_HOME/state/dags/obs1.json")" "$cid"
	# every image and thumbnail by path under the session CID, byte for byte
	for sc in "$WANDA_HOME/captures/obs1"/*.json; do
		f=$(jq -r .file "$sc") id=$(jq -r .id "$sc")
		curl -sSf "$GW/ipfs/$cid/images/$f" -o "$BATS_TEST_TMPDIR/img"
		cmp "$BATS_TEST_TMPDIR/img" "$WANDA_HOME/captures/obs1/$f"
		curl -sSf "$GW/ipfs/$cid/thumbs/$id.jpg" -o "$BATS_TEST_TMPDIR/th"
		cmp "$BATS_TEST_TMPDIR/th" "$WANDA_HOME/$(jq -r .thumb "$sc")"
	done
	# the page: ours, self-contained (no external script, style, font or link)
	curl -sSf "$GW/ipfs/$cid/index.html" -o "$BATS_TEST_TMPDIR/index.html"
	grep -q '<title>obs1 — WANDA session</title>' "$BATS_TEST_TMPDIR/index.html"
	run grep -Eio '(src|href)="[a-z]+:|@import|url\(|<link|<script [^>]*src' "$BATS_TEST_TMPDIR/index.html"
	assert_failure
	# the node's cat of the same path gives the same bytes as its gateway
	curl -sSf -X POST "$WANDA_API/api/v0/cat?arg=/ipfs/$cid/index.html" | cmp - "$BATS_TEST_TMPDIR/index.html"
	# manifest.json: the summary, then every sidecar through the pages
	curl -sSf "$GW/ipfs/$cid/manifest.json" -o "$BATS_TEST_TMPDIR/m.json"
	assert_equal "$(jq -r '[.format, .version, .session, .count, .profile, (.pages|length)] | join(" ")' \
		"$BATS_TEST_TMPDIR/m.json")" "wanda-manifest 1 obs1 6 unixfs-v1-2025 1"
	assert_equal "$(jq -r .node.id "$BATS_TEST_TMPDIR/m.json")" "$(ipfs_peer_id 1)"
	page=$(jq -r '.pages[0].path' "$BATS_TEST_TMPDIR/m.json")
	curl -sSf "$GW/ipfs/$cid/$page" -o "$BATS_TEST_TMPDIR/p0.json"
	assert_equal "$(jq -r '.captures[].id' "$BATS_TEST_TMPDIR/p0.json")" "$(sidecars obs1 id)"
	assert_equal "$(jq -r '.captures[].cid' "$BATS_TEST_TMPDIR/p0.json")" "$(sidecars obs1 cid)"
	# node-local state is not in the manifest
	assert_equal "$(jq '[.captures[] | select(has("ipfs") or has("session"))] | length' "$BATS_TEST_TMPDIR/p0.json")" 0
	# the session DAG is pinned on the node, recursively
	run ipfs_rpc 1 pin/ls "arg=$cid&type=recursive"
	assert_success
	assert_equal "$(jq -r '.Keys | to_entries | map(.value.Type) | join(" ")' <<<"$output")" recursive
}

@test "session: deterministic, and independent of push state; a new capture changes it" {
	make_captures obs2 3
	a=$(session_cid obs2)
	b=$(session_cid obs2)
	assert_equal "$a" "$b"
	# push state and local deletions in the sidecars are not content
	for sc in "$WANDA_HOME/captures/obs2"/*.json; do
		jq '.ipfs.pinned_at = "2026-11-24T05:00:00.000Z" | .raw_ipfs = {state: "pinned"} |
		    .image_removed_at = "2026-11-24T06:00:00.000Z" | .raw_removed_at = "2026-11-24T06:00:00.000Z"' \
			"$sc" >"$sc.tmp"
		mv "$sc.tmp" "$sc"
	done
	assert_equal "$(session_cid obs2)" "$b"
	make_captures obs2x 1
	mv "$WANDA_HOME/captures/obs2x"/* "$WANDA_HOME/captures/obs2/"
	for sc in "$WANDA_HOME/captures/obs2"/*.json; do
		jq '.session = "obs2"' "$sc" >"$sc.tmp"
		mv "$sc.tmp" "$sc"
	done
	run wanda-dag session obs2
	assert_success
	refute_output --partial "$b"
	assert_equal "$(jq .count <<<"$output")" 4
}

@test "session: the gallery in headless Chromium loads every thumbnail and shows the right CIDs" {
	make_captures night 6
	cid=$(session_cid night)
	mkdir -p "$TOP/tests/out"
	chrome=(/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--user-data-dir="$(mktemp -d "$BATS_TEST_TMPDIR/chrome.XXXXXX")" --window-size=1280,1400
		--virtual-time-budget=15000)
	timeout 120 "${chrome[@]}" --dump-dom "$GW/ipfs/$cid/" >"$BATS_TEST_TMPDIR/dom.html" 2>/dev/null
	body=$(grep -o '<body[^>]*>' "$BATS_TEST_TMPDIR/dom.html")
	attr() { sed -nE "s/.* data-$1=\"([^\"]*)\".*/\1/p" <<<"$body"; }
	assert_equal "$(attr state)" ready
	assert_equal "$(attr count)" 6
	assert_equal "$(attr shown)" 6
	assert_equal "$(attr thumbs)" 6
	assert_equal "$(attr loaded)" 6
	assert_equal "$(attr failed)" 0
	# the CIDs on the page, in page order, are the sidecars' CIDs in capture order
	shown=$(grep -oE '<code class="cid" data-cid="[^"]+"' "$BATS_TEST_TMPDIR/dom.html" | sed -E 's/.*data-cid="([^"]+)"/\1/')
	assert_equal "$shown" "$(sidecars night cid)"
	# grouped by capture hour
	t=$(sidecars night captured_at | head -1)
	grep -qF "<h2>${t:0:10} ${t:11:2}:00 UTC</h2>" "$BATS_TEST_TMPDIR/dom.html"
	timeout 120 "${chrome[@]}" --screenshot="$TOP/tests/out/session.png" "$GW/ipfs/$cid/" >/dev/null 2>&1
	[ -s "$TOP/tests/out/session.png" ]
}

@test "root: sessions/<name> and index.json list every session with its CID" {
	make_captures a 2
	make_captures b 3
	ca=$(session_cid a)
	cb=$(session_cid b)
	run wanda-dag root
	assert_success
	root=$(jq -r .cid <<<"$output")
	ipns=$(jq -r .ipns <<<"$output")
	assert_equal "$(jq -r .cid "$WANDA_HOME/state/root.json")" "$root"
	curl -sSf "$GW/ipfs/$root/index.json" -o "$BATS_TEST_TMPDIR/ix.json"
	ix=$BATS_TEST_TMPDIR/ix.json
	assert_equal "$(jq -r '[.format, .version, .profile, .counts.sessions, .counts.captures] | join(" ")' "$ix")" \
		"wanda-index 1 unixfs-v1-2025 2 5"
	assert_equal "$(jq -r .node.id "$ix")" "$(ipfs_peer_id 1)"
	assert_equal "$(jq -r .node.ipns "$ix")" "$ipns"
	assert_equal "$(jq -r '.sessions[] | "\(.name) \(.cid) \(.count) \(.path)"' "$ix")" \
		"$(printf 'a %s 2 sessions/a\nb %s 3 sessions/b' "$ca" "$cb")"
	# the key is a dedicated one, listed by the daemon
	ipfs_rpc 1 key/list | jq -e --arg id "$ipns" '.Keys[] | select(.Name == "wanda" and .Id == $id)'
	# sessions/<name> is the session itself
	curl -sSf "$GW/ipfs/$root/sessions/b/manifest.json" | cmp - <(curl -sSf "$GW/ipfs/$cb/manifest.json")
	curl -sSf "$GW/ipfs/$root/index.html" | grep -q 'href="sessions/b/"'
	# unchanged sessions: same root, root.json not rewritten
	before=$(stat -c %Y.%y "$WANDA_HOME/state/root.json")
	sleep 1
	assert_equal "$(wanda-dag root | jq -r .cid)" "$root"
	assert_equal "$(stat -c %Y.%y "$WANDA_HOME/state/root.json")" "$before"
}

@test "session --from-spool: closing a session builds it through the spool once its captures are pushed" {
	pipeline() {
		wanda-queue watch --once | wanda-dag session --from-spool 2>>"$BATS_TEST_TMPDIR/dag.err" |
			wanda-push | wanda-queue ack
	}
	wanda-capture session start dusk >/dev/null
	wanda-capture --source test --session dusk --count 3 --interval 0 --width 320 --height 240 >/dev/null
	wanda-capture session stop dusk >/dev/null
	run pipeline
	assert_success
	# the three captures went through wanda-push and were acknowledged
	assert_equal "$(jq -s 'map(select(.state == "done")) | length' <<<"$output")" 3
	if [ ! -e "$WANDA_HOME/state/dags/dusk.json" ]; then
		# built before its captures were pushed: deferred, not lost, not failed
		run wanda-queue list --state deferred
		assert_output --partial '"kind":"session"'
		grep -q '"event":"session_failed"' "$WANDA_HOME/events.jsonl"
		wanda-queue retry --all >/dev/null
		run pipeline
		assert_success
	fi
	cid=$(jq -r .cid "$WANDA_HOME/state/dags/dusk.json")
	assert_equal "$(jq -r 'select(.event == "session_built") | .cid' "$WANDA_HOME/events.jsonl")" "$cid"
	# the root followed: its index.json lists the session
	root=$(jq -r 'select(.event == "session_built") | .root' "$WANDA_HOME/events.jsonl")
	assert_equal "$(jq -r .cid "$WANDA_HOME/state/root.json")" "$root"
	assert_equal "$(curl -sSf "$GW/ipfs/$root/index.json" | jq -r '.sessions[] | "\(.name) \(.cid)"')" "dusk $cid"
	# nothing left in the spool
	for st in new cur deferred failed; do
		assert_equal "$(wanda-queue list --state $st | wc -l)" 0
	done
	# the session is pinned and served
	curl -sSf "$GW/ipfs/$cid/manifest.json" | jq -e '.count == 3'
	run ipfs_rpc 1 pin/ls "arg=$cid&type=recursive"
	assert_success
	# other lines pass through unchanged
	in='{"id":"x1","kind":"capture","path":"/x.jpg","spool_file":"/nowhere"}'
	assert_equal "$(wanda-dag session --from-spool <<<"$in" | jq -c .)" "$(jq -c . <<<"$in")"
}

@test "session: a sidecar's thumb path is not followed (the thumbnail is the session's own, by id)" {
	gen_captures evil 2 1
	secret=$BATS_TEST_TMPDIR/secret.txt
	echo "not for publishing $RANDOM" >"$secret"
	sc=$(ls "$WANDA_HOME"/captures/evil/*.json | head -1)
	jq --arg t "$secret" '.thumb = $t' "$sc" >"$sc.tmp"
	mv "$sc.tmp" "$sc"
	rm "$WANDA_HOME/thumbs/evil/$(jq -r .id "$sc").jpg"
	run --separate-stderr wanda-dag session --no-import --car "$BATS_TEST_TMPDIR/evil.car" evil
	assert_success
	assert_equal "$(jq .thumbs <<<"$output")" 1
	! grep -qF "not for publishing" "$BATS_TEST_TMPDIR/evil.car"
}

@test "session --from-spool: the spool_file of a line on stdin never picks the file removed or moved" {
	echo '{"keep":"me"}' >"$BATS_TEST_TMPDIR/victim"
	wanda-queue stats >/dev/null   # the spool exists
	# a session that cannot be built: the entry would be failed (or quarantined)
	run --separate-stderr wanda-dag session --from-spool <<<"{\"kind\":\"session\",\"session\":\"nosuch\",\"id\":\"x\",\"spool_file\":\"$BATS_TEST_TMPDIR/victim\"}"
	assert_success
	assert_equal "$(cat "$BATS_TEST_TMPDIR/victim")" '{"keep":"me"}'
}

@test "session: 20,000 captures build in seconds with no block over 1 MiB" {
	gen_captures big 20000 1
	car=$BATS_TEST_TMPDIR/big.car
	run wanda-dag session --no-import --car "$car" big
	assert_success
	echo "# 20,000-capture session built in $(jq .ms <<<"$output") ms, $(jq .blocks <<<"$output") blocks" >&3
	assert_equal "$(jq '.count, .thumbs' <<<"$output" | xargs)" "20000 20000"
	# seconds on a plain build; sanitizer and coverage builds run several times slower
	limit=20000
	[ "${WANDA_TEST_PASS:-plain}" = plain ] || limit=180000
	[ "$(jq .ms <<<"$output")" -lt "$limit" ]
	run wanda-dag verify "$car"
	assert_success
	assert_equal "$(jq .ok <<<"$output")" true
	max=$(wanda-dag ls "$car" | jq -s 'map(.size) | max')
	echo "# largest block: $max bytes" >&3
	[ "$max" -le 1048576 ]
	# sharded: far more directory blocks than the 4 a plain layout would have
	[ "$(wanda-dag ls "$car" | jq -s 'map(select(.codec == "dag-pb")) | length')" -gt 10 ]
}

@test "session: a HAMT-sharded session imports, its paths resolve through the shards, its gallery pages" {
	gen_captures wide 4000 0
	run wanda-dag session wide
	assert_success
	cid=$(jq -r .cid <<<"$output")
	# images not pushed: imported, not pinned
	assert_equal "$(jq -r '.imported, .pinned, .unpushed' <<<"$output" | xargs)" "true false 4000"
	assert_equal "$(curl -sSf "$GW/ipfs/$cid/manifest.json" | jq -r '.count, (.pages | length)' | xargs)" "4000 16"
	curl -sSf "$GW/ipfs/$cid/manifest/0010.json" | jq -e '.page == 10 and (.captures | length) == 250'
	# images/ is sharded (a plain block would list 4000 links)
	run ipfs_rpc 1 dag/get "arg=$cid/images"
	assert_success
	[ "$(jq '.Links | length' <<<"$output")" -le 256 ]
	# an image by path through the shards: push just that one, fetch it back
	sc=$(ls "$WANDA_HOME/captures/wide"/*.json | sed -n 2345p)
	img=$WANDA_HOME/captures/wide/$(jq -r .file "$sc")
	read -r pushed _ < <(push "$img")
	assert_equal "$pushed" "$(jq -r .cid "$sc")"
	curl -sSf -m 60 "$GW/ipfs/$cid/images/$(jq -r .file "$sc")" | cmp - "$img"
	# the gallery opens with one manifest page, not a 4000-figure DOM
	timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$BATS_TEST_TMPDIR/chrome.XXXXXX")" --window-size=1280,1000 \
		--virtual-time-budget=10000 --dump-dom "$GW/ipfs/$cid/" >"$BATS_TEST_TMPDIR/dom.html" 2>/dev/null
	body=$(grep -o '<body[^>]*>' "$BATS_TEST_TMPDIR/dom.html")
	pages=$(sed -nE 's/.* data-pages="([0-9]+)".*/\1/p' <<<"$body")
	shown=$(sed -nE 's/.* data-shown="([0-9]+)".*/\1/p' <<<"$body")
	echo "# gallery of 4000: $pages page(s), $shown figures after load" >&3
	[ "$pages" -ge 1 ]
	[ "$pages" -lt 16 ]
	assert_equal "$shown" $((pages * 250))
	assert_equal "$(sed -nE 's/.* data-count="([0-9]+)".*/\1/p' <<<"$body")" 4000
}
