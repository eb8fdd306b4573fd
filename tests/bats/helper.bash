# Shared bats helpers. Each .bats file starts with:  load helper
# Programs under test come from $WANDA_BIN (set by tests/run; default build/bin).
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export WANDA_BIN=${WANDA_BIN:-$TOP/build/bin}
export WANDA_TESTBIN=${WANDA_TESTBIN:-$TOP/build/tests}
export PATH="$WANDA_BIN:$PATH"
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
load /usr/lib/bats/bats-file/load.bash

# A fresh $WANDA_HOME per test, under bats' own temp dir (removed by bats).
wanda_fresh_home() {
	export WANDA_HOME="$BATS_TEST_TMPDIR/home"
	export WANDA_CONF="$BATS_TEST_TMPDIR/wanda.conf"
	: >"$WANDA_CONF"
	mkdir -p "$WANDA_HOME"
}

# Deterministic pseudo-random bytes: gen_bytes SEED SIZE > file
gen_bytes() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -iter 1 </dev/zero 2>/dev/null | head -c "$2"
}
