#!/usr/bin/env bats
# HAMT-sharded directories through `wanda-dag add -r`, against the CIDs Kubo
# itself printed in its test suite. Each input tree is rebuilt here with the
# recipe Kubo's test used.
load helper

# test/sharness/t0260-sharding.sh ("set up test data")
t0260_tree() {
	mkdir -p "$1"
	for i in $(seq 2000); do echo "$i" >"$1/file$i"; done
}

# test/cli/add_test.go createDeterministicFiles: N files holding "x", named
# from a ChaCha20 stream (key sha256(SEED), zero nonce), byte % 39 mapped onto
# testutils.AlphabetEasy; every name LEN long but the last, LAST long.
profile_tree() {
	local dir=$1 seed=$2 n=$3 len=$4 last=$5 key
	mkdir -p "$dir"
	key=$(printf %s "$seed" | sha256sum | cut -c1-64)
	openssl enc -chacha20 -K "$key" -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null |
		head -c $(((n - 1) * len + last)) | od -An -v -tu1 |
		awk -v n="$n" -v len="$len" -v last="$last" '
		BEGIN { a = "abcdefghijklmnopqrstuvwxyz01234567890-_"; i = 0; want = (n == 1 ? last : len) }
		{ for (f = 1; f <= NF; f++) {
			cur = cur substr(a, ($f % 39) + 1, 1)
			if (length(cur) == want) { print cur; i++; cur = ""; want = (i == n - 1 ? last : len) }
		} }' >"$BATS_TEST_TMPDIR/names"
	assert_equal "$(sort -u "$BATS_TEST_TMPDIR/names" | wc -l)" "$n"
	while read -r nm; do printf x >"$dir/$nm"; done <"$BATS_TEST_TMPDIR/names"
}

@test "t0260: 2000 files, sharding forced off, CIDv0" {
	t0260_tree "$BATS_TEST_TMPDIR/testdata"
	run wanda-dag add -r -Q --hamt-threshold=1G "$BATS_TEST_TMPDIR/testdata"
	assert_success
	assert_output QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N
}

@test "t0260: 2000 files with Kubo's default threshold stay a plain directory" {
	t0260_tree "$BATS_TEST_TMPDIR/testdata"
	run wanda-dag add -r -Q "$BATS_TEST_TMPDIR/testdata"
	assert_success
	assert_output QmavrTrQG4VhoJmantURAYuw3bowq3E2WcvP36NRQDAC1N
}

@test "t0260: 2000 files, sharding forced on (1 byte), CIDv0" {
	t0260_tree "$BATS_TEST_TMPDIR/testdata"
	run wanda-dag add -r -Q --hamt-threshold=1 "$BATS_TEST_TMPDIR/testdata"
	assert_success
	assert_output QmSCJD1KYLhVVHqBK3YyXuoEqHt7vggyJhzoFYbT8v1XYL
}

@test "t0260: 2000 files, sharding forced on, CIDv1 (raw leaves)" {
	t0260_tree "$BATS_TEST_TMPDIR/testdata"
	run wanda-dag add -r -Q --cid-version=1 --hamt-threshold=1 "$BATS_TEST_TMPDIR/testdata"
	assert_success
	assert_output bafybeibiemewfzzdyhq2l74wrd6qj2oz42usjlktgnlqv4yfawgouaqn4u
}

# test/cli/cid_profiles_test.go, unixfs-v0-2015 = Kubo's default (links
# estimation): 4096 * (30 + 34) = 262144 is at the threshold and stays plain.
@test "default profile: links estimate exactly at the threshold stays plain" {
	profile_tree "$BATS_TEST_TMPDIR/d" hamt-unixfs-v0-2015 4096 30 30
	run wanda-dag add -r -Q "$BATS_TEST_TMPDIR/d"
	assert_success
	assert_output QmX5GtRk3TSSEHtdrykgqm4eqMEn3n2XhfkFAis5fjyZmN
}

@test "default profile: links estimate one byte over the threshold shards" {
	profile_tree "$BATS_TEST_TMPDIR/d" hamt-unixfs-v0-2015 4033 31 31
	run wanda-dag add -r -Q "$BATS_TEST_TMPDIR/d"
	assert_success
	assert_output QmeMiJzmhpJAUgynAcxTQYek5PPKgdv3qEvFsdV3XpVnvP
}

# unixfs-v1-2025 (block estimation): 4765 * 55 + 65 + 4 = 262144 bytes.
@test "unixfs-v1-2025: block exactly at the threshold stays plain" {
	profile_tree "$BATS_TEST_TMPDIR/d" hamt-unixfs-v1-2025 4766 11 21
	run wanda-dag add -r -Q --profile=unixfs-v1-2025 "$BATS_TEST_TMPDIR/d"
	assert_success
	assert_output bafybeic3h7rwruealwxkacabdy45jivq2crwz6bufb5ljwupn36gicplx4
}

@test "unixfs-v1-2025: block one byte over the threshold shards" {
	profile_tree "$BATS_TEST_TMPDIR/d" hamt-unixfs-v1-2025 4766 11 22
	run wanda-dag add -r -Q --profile=unixfs-v1-2025 "$BATS_TEST_TMPDIR/d"
	assert_success
	assert_output bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu
	# The same tree measured the legacy way is far below 256 KiB: no HAMT.
	run wanda-dag add -r -Q --profile=unixfs-v1-2025 --hamt-estimation=links "$BATS_TEST_TMPDIR/d"
	assert_success
	refute_output bafybeiegvuterwurhdtkikfhbxcldohmxp566vpjdofhzmnhv6o4freidu
	assert_output --regexp '^bafy[a-z2-7]+$'
}

@test "bad HAMT flags are usage errors naming the flag" {
	mkdir -p "$BATS_TEST_TMPDIR/d"
	run wanda-dag add -r -Q --hamt-fanout=48 "$BATS_TEST_TMPDIR/d"
	assert_failure 64
	assert_output --partial 48
	run wanda-dag add -r -Q --hamt-estimation=guess "$BATS_TEST_TMPDIR/d"
	assert_failure 64
	assert_output --partial guess
}
