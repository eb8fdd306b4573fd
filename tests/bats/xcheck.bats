#!/usr/bin/env bats
# The randomized cross-check of `wanda-dag add` against ipfs-unixfs-importer
# (tests/xcheck/xcheck.mjs): 200 random files and trees per run, root CIDs
# and CAR bytes compared. On failure the output names the seed and the first
# differing case; replay with WANDA_XCHECK_SEED=N WANDA_XCHECK_ONLY=K.
load helper
load xcheck

@test "wanda-dag add matches ipfs-unixfs-importer set to Kubo's options (root CID and CAR bytes)" {
	[ -d "$TOP/tests/node_modules/ipfs-unixfs-importer" ] ||
		fail "tests/node_modules has no ipfs-unixfs-importer: run npm ci in tests/"
	run node "$TOP/tests/xcheck/xcheck.mjs"
	assert_success
	assert_output --regexp '^# xcheck seed [0-9]+'
	assert_output --regexp 'ok - [0-9]+ cases equal'
}

@test "the cross-check fails, naming seed and case, when the two sides differ" {
	# A wanda-dag that prints a wrong root must be caught, not waved through.
	fake_dag_wrong_root
	WANDA_BIN="$BATS_TEST_TMPDIR/bin" WANDA_XCHECK_SEED=7 WANDA_XCHECK_CASES=3 \
		run node "$TOP/tests/xcheck/xcheck.mjs"
	assert_failure 1
	assert_output --partial 'seed 7'
	assert_output --partial 'WANDA_XCHECK_ONLY='
	assert_output --partial 'root CID differs'
}
