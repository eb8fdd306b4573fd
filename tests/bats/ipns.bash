# Helpers shared by ipns.bats and ipns-kubo.bats.

# new_root SEED [PIN]: a real root, one small file added to node 1 (pinned
# when PIN is true; default false), its CID into state/root.json as
# wanda-dag root records it; prints the CID.
new_root() {
	local cid
	printf 'root %s\n' "$1" >"$BATS_TEST_TMPDIR/root.txt"
	cid=$(curl -sSf -X POST -F "file=@$BATS_TEST_TMPDIR/root.txt" \
		"$(ipfs_api 1)/api/v0/add?cid-version=1&raw-leaves=true&cid-base=base32&pin=${2:-false}" | jq -r .Hash) || return
	mkdir -p "$WANDA_HOME/state"
	jq -n --arg c "$cid" '{cid:$c}' >"$WANDA_HOME/state/root.json.tmp"
	mv "$WANDA_HOME/state/root.json.tmp" "$WANDA_HOME/state/root.json"
	echo "$cid"
}
