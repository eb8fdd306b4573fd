# Shared bats helpers. Each .bats file starts with:  load helper
# Programs under test come from $WANDA_BIN (set by tests/run; default build/bin).
TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export WANDA_BIN=${WANDA_BIN:-$TOP/build/bin}
export WANDA_TESTBIN=${WANDA_TESTBIN:-$TOP/build/tests}
export PATH="$WANDA_BIN:$PATH"
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
load /usr/lib/bats/bats-file/load.bash
# bats 1.5's run flags (--separate-stderr, run !) are used throughout.
bats_require_minimum_version 1.5.0

# A fresh $WANDA_HOME per test, under bats' own temp dir (removed by bats).
wanda_fresh_home() {
	export WANDA_HOME="$BATS_TEST_TMPDIR/home"
	export WANDA_CONF="$BATS_TEST_TMPDIR/wanda.conf"
	: >"$WANDA_CONF"
	mkdir -p "$WANDA_HOME"
}

# wanda_fresh_workdir: wanda_fresh_home, and the test's temp dir as the
# current directory (for files the test writes by relative name).
wanda_fresh_workdir() {
	wanda_fresh_home
	cd "$BATS_TEST_TMPDIR" || return
}

# spool_fresh_home: wanda_fresh_home for the capture -> spool -> queue
# pipeline: the queue's retry backoff cut to seconds (a retried entry comes
# back within a test); SP names the spool.
spool_fresh_home() {
	wanda_fresh_home
	export WANDA_QUEUE_BACKOFF=1s WANDA_QUEUE_MAX_BACKOFF=2s
	SP=$WANDA_HOME/spool
}

# Deterministic pseudo-random bytes: gen_bytes SEED SIZE > file
gen_bytes() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 -iter 1 </dev/zero 2>/dev/null | head -c "$2"
}

# Wall-clock budgets scale by WANDA_TEST_SLOW, a whole factor (1 unless set:
# tests/run --arm64 sets it, the programs then run under qemu-user, several
# times slower). slow_ms MS: the budget for this run, in milliseconds.
export WANDA_TEST_SLOW=${WANDA_TEST_SLOW:-1}
[[ $WANDA_TEST_SLOW =~ ^[1-9][0-9]*$ ]] || {
	echo "helper.bash: WANDA_TEST_SLOW must be a whole factor >= 1, not '$WANDA_TEST_SLOW'" >&2
	exit 64
}
slow_ms() { echo $(($1 * WANDA_TEST_SLOW)); }
# slow_s MS: the same as seconds with a fraction (for sleep and FAKE_SLEEP)
slow_s() {
	local ms
	ms=$(slow_ms "$1")
	printf '%d.%03d\n' $((ms / 1000)) $((ms % 1000))
}
