#!/usr/bin/env bats
# The wanda-serve gallery in real Chromium (Debian's /usr/bin/chromium,
# headless, driven by playwright-core from tests/node_modules) against a
# real Kubo node: see tests/browser/serve-gallery.mjs for the checks.
# Screenshots go to tests/out/.
load helper
load ipfs
load one-node

setup() {
	wanda_fresh_home
	"$TOP/tests/npm-deps"
}

teardown() {
	[ -z "${SERVE_PID:-}" ] || { kill "$SERVE_PID"; wait "$SERVE_PID" || true; }
}

@test "gallery: status bar, IPNS link, lazy thumbnails, view modes, copy, QR, pin/unpin in Kubo, download, live capture within 2 s, upload progress" {
	wanda-capture --source test --session night --count 40 --interval 0 --width 320 --height 240 >/dev/null
	wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack >/dev/null
	# the node's IPNS name, and a peer's sync state for the status bar (no session DAG: its
	# recursive pin would keep the capture pinned through unpin)
	cid=$(jq -r .cid "$(ls "$WANDA_HOME"/captures/night/*.json | head -1)")
	wanda-ipns --allow-offline publish "$cid" >/dev/null
	jq -n --arg c "$cid" '{v:1, peers:{"12D3KooWPeer":{last_success:null,
		failures:0, sessions:{"their-night":{state:"pinned", cid:$c, bytes:1, attempts:1, last_error:null, pinned_at:null},
		"queued-one":{state:"queued", cid:$c, bytes:0, attempts:0, last_error:null, pinned_at:null}}}}}' \
		>"$WANDA_HOME/state/sync.json"
	out="$BATS_TEST_TMPDIR/serve.out"
	wanda-serve --listen 127.0.0.1:0 --public-gateway https://gw.example >"$out" 3>&- &
	SERVE_PID=$!
	for _ in $(seq 200); do [ -s "$out" ] && break; sleep 0.05; done
	url=$(head -1 "$out" | jq -r .url)
	export CAPTURE="wanda-capture --source test --session night --count 1 --width 320 --height 240"
	export PIPELINE="wanda-queue watch --once | wanda-push --no-outbox | wanda-queue ack"
	run node "$TOP/tests/browser/serve-gallery.mjs" "$url" "$(cat "$WANDA_HOME/state/serve.token")" \
		"$WANDA_API" "$TOP/tests/out"
	echo "$output"
	assert_success
	for c in gallery_loads only_visible_thumbs_fetched fits_phone_width scrolling_fetches_more view_ipfs \
		view_local copy_button_copies_cid qr_decodes_to_public_link unpin_changes_kubo_pin_ls \
		pin_changes_kubo_pin_ls live_capture_within_2s live_upload_complete_marks_tile status_bar \
		ipns_gateway_link download_link live_upload_progress live_upload_progress_ends; do
		assert_line --regexp "^ok $c"
	done
	assert_file_exists "$TOP/tests/out/serve-detail.png"
}
