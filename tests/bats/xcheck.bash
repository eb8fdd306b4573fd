# Helpers shared by xcheck.bats and kubo-xcheck.bats.

# fake_dag_wrong_root: $BATS_TEST_TMPDIR/bin/wanda-dag, a wanda-dag that
# writes an empty CAR and prints a root no case has (bafkqaaa): a
# cross-check run with WANDA_BIN=$BATS_TEST_TMPDIR/bin must fail.
fake_dag_wrong_root() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/wanda-dag" <<-'SH'
	#!/bin/sh
	for a; do case $a in --car) car=1 ;; *) [ "$car" = 1 ] && { : >"$a"; car=; } ;; esac; done
	echo bafkqaaa
	SH
	chmod +x "$BATS_TEST_TMPDIR/bin/wanda-dag"
}
