#!/usr/bin/env bats
# Every program: --help, --version, bad flags, man page, completions.
load helper

programs() { for p in "$TOP"/cmd/wanda-*.c; do basename "$p" .c; done; }

@test "every program prints --version" {
	for p in $(programs); do
		run "$p" --version
		assert_success
		assert_output --regexp "^$p \(WANDA\) [0-9]+\.[0-9]+\.[0-9]+$"
	done
}

@test "every program's --help matches the SYNOPSIS of its man page" {
	for p in $(programs); do
		run "$p" --help
		assert_success
		assert_output --partial "usage: $p"
		assert_file_exists "$TOP/man/$p.1"
		# every option the help lists is documented in the rendered man page
		page=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$TOP/man/$p.1" 2>/dev/null | col -b)
		for opt in $(printf '%s\n' "$output" | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			grep -qF -- "$opt" <<<"$page" || fail "$p: $opt in --help but not in man/$p.1"
		done
	done
}

@test "every program rejects an unknown flag with a usage error (64)" {
	for p in $(programs); do
		run "$p" --no-such-flag
		[ "$status" -eq 64 ] || fail "$p exited $status"
		assert_output --partial "$p"
	done
}

@test "a bad configuration is a one-line error naming file:line (78), for every program" {
	local long
	wanda_fresh_home
	long=$(printf '#%05000d' 0)
	for conf in "home = /tmp/x"$'\n'"min_fre = 1G" "home =" "$long home = /evil"$'\n'"frob = 1"; do
		printf '%s\n' "$conf" >"$WANDA_CONF"
		for p in $(programs); do
			cmd=list
			[ "$p" != wanda-dag ] || cmd="session x"
			run --separate-stderr "$p" $cmd
			[ "$status" -eq 78 ] || fail "$p with '${conf:0:40}': status $status, stderr $stderr"
			[[ $stderr == "$p: $WANDA_CONF:"[12]": "* ]] || fail "$p: $stderr"
			[ "$(wc -l <<<"$stderr")" -eq 1 ]
		done
	done
	[[ $stderr == *":2: unknown key 'frob'" ]]
	# every key docs/configuration.md documents is known
	for key in $(grep -oE '^\| `[a-z_0-9`, ]+' "$TOP/docs/configuration.md" | tr -d '|`' | tr ',' '\n'); do
		echo "$key = 1" >"$WANDA_CONF"
		run --separate-stderr wanda-queue list
		[[ $stderr != *"unknown key"* ]] || fail "$key: $stderr"
	done
	mkdir -p "$BATS_TEST_TMPDIR/conf.d"
	WANDA_CONF=$BATS_TEST_TMPDIR/conf.d run --separate-stderr wanda-queue list
	assert_failure 78
	assert_equal "$stderr" "wanda-queue: $BATS_TEST_TMPDIR/conf.d: not a regular file"
}

@test "a yes/no setting given anything else is a usage error, not a quiet no" {
	wanda_fresh_home
	WANDA_ANNOUNCE_CLUSTER=on run --separate-stderr wanda-discover peers
	assert_failure 64
	assert_equal "$stderr" "wanda-discover: announce_cluster: 'on' is not yes or no (true/false, 1/0)"
	WANDA_IPNS_ALLOW_OFFLINE=ture run --separate-stderr wanda-ipns status
	assert_failure 64
	assert_equal "$stderr" "wanda-ipns: ipns_allow_offline: 'ture' is not yes or no (true/false, 1/0)"
	for v in yes no true false 1 0; do
		WANDA_IPNS_ALLOW_OFFLINE=$v run --separate-stderr wanda-ipns status
		assert_success
	done
}

@test "every program has bash, zsh and fish completions" {
	for p in $(programs); do
		assert_file_exists "$TOP/completions/bash/$p"
		assert_file_exists "$TOP/completions/zsh/_$p"
		assert_file_exists "$TOP/completions/fish/$p.fish"
		bash -n "$TOP/completions/bash/$p"
	done
}

@test "every man page renders without warnings" {
	for m in "$TOP"/man/*.[157]; do
		run bash -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$m' 2>&1 >/dev/null"
		assert_output ""
	done
}

@test "make install and uninstall with DESTDIR" {
	d="$BATS_TEST_TMPDIR/dest"
	run make -C "$TOP" -s install O="${WANDA_BUILD:-${WANDA_BIN%/bin}}" PREFIX=/usr DESTDIR="$d"
	assert_success
	for p in $(programs); do
		assert_file_executable "$d/usr/bin/$p"
		assert_file_exists "$d/usr/share/man/man1/$p.1"
	done
	run make -C "$TOP" -s uninstall O="${WANDA_BUILD:-${WANDA_BIN%/bin}}" PREFIX=/usr DESTDIR="$d"
	assert_success
	[ -z "$(find "$d" -type f)" ] || fail "files left after uninstall: $(find "$d" -type f)"
}
