#!/usr/bin/env bats
# contrib/setup-pi against a scratch root (ROOT=DIR), with the Pi's own
# files: the arm64 package (make deb ARCH=arm64) and the arm64 Kubo
# (tests/kubo-build --arch arm64), which setup-pi runs under qemu-aarch64
# here. Run by tests/run --deb (it needs contrib/install-deps --arm64).
load ../bats/helper

version() { sed -n 's/^VERSION *:= *//p' "$TOP/Makefile"; }

setup_file() {
	export DEB="$TOP/build/debian/wanda_$(version)_arm64.deb"
	make -C "$TOP" -s deb ARCH=arm64 >"$BATS_FILE_TMPDIR/deb.log" 2>&1 ||
		{ tail -30 "$BATS_FILE_TMPDIR/deb.log" >&3; return 1; }
	KUBO=$("$TOP/tests/kubo-build" --arch arm64) || return 1
	export KUBO
}

# a scratch root with the account files of a fresh Raspberry Pi OS; not
# under bats' temp dirs (0700): Kubo runs in it as the node's ipfs user
scratch_root() {
	ROOT=$(mktemp -d /var/tmp/wanda-setup-pi.XXXXXX)
	export ROOT
	chmod 755 "$ROOT"
	mkdir -p "$ROOT/etc"
	printf 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\nvideo:x:44:pi\npi:x:1000:\n' >"$ROOT/etc/group"
	printf 'root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n' >"$ROOT/etc/shadow"
	printf 'root:*::\nvideo:!::pi\npi:!::\n' >"$ROOT/etc/gshadow"
	cp /etc/login.defs "$ROOT/etc/"
}

teardown() { [ -z "${ROOT:-}" ] || rm -rf "$ROOT"; }

# kubo_conf KEY: a value of the node's Kubo config, as JSON
kubo_conf() { jq -c ".$1" "$ROOT/var/lib/ipfs/config"; }

@test "setup-pi in a scratch root: the package, Kubo for arm64 set up as the design says, units enabled" {
	scratch_root
	run "$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$KUBO"
	assert_success
	assert_output --partial "setup-pi: done in $ROOT"
	# the package's files and users
	run file "$ROOT/usr/bin/wanda-capture"
	assert_output --partial "ARM aarch64"
	run file "$ROOT/usr/local/bin/ipfs"
	assert_output --partial "ARM aarch64"
	grep -q '^wanda:' "$ROOT/etc/passwd"
	grep -q '^ipfs:' "$ROOT/etc/passwd"
	wanda_uid=$(awk -F: '$1 == "wanda" { print $3 }' "$ROOT/etc/passwd")
	ipfs_uid=$(awk -F: '$1 == "ipfs" { print $3 }' "$ROOT/etc/passwd")
	[ "$(stat -c '%u %a' "$ROOT/var/lib/wanda")" = "$wanda_uid 750" ]
	[ "$(stat -c '%u %a' "$ROOT/var/lib/ipfs")" = "$ipfs_uid 750" ]
	[ -z "$(find "$ROOT/var/lib/ipfs" ! -uid "$ipfs_uid")" ] || fail "not ipfs's: $(find "$ROOT/var/lib/ipfs" ! -uid "$ipfs_uid")"
	# Kubo: lowpower, 50/100 connections, 10GB, RPC and gateway on loopback
	[ "$(kubo_conf Addresses.API)" = '"/ip4/127.0.0.1/tcp/5001"' ]
	[ "$(kubo_conf Addresses.Gateway)" = '"/ip4/127.0.0.1/tcp/8080"' ]
	[ "$(kubo_conf Swarm.ConnMgr.LowWater)" = 50 ]
	[ "$(kubo_conf Swarm.ConnMgr.HighWater)" = 100 ]
	[ "$(kubo_conf Datastore.StorageMax)" = '"10GB"' ]
	kubo_conf Addresses.Swarm | grep -q '/ip4/0.0.0.0/tcp/4001'
	# what Kubo's lowpower profile sets: no DHT server, no AutoNAT service
	[ "$(kubo_conf Routing.Type)" = '"autoclient"' ]
	[ "$(kubo_conf AutoNAT.ServiceMode)" = '"disabled"' ]
	[ "$(kubo_conf Swarm.ConnMgr.Type)" = '"basic"' ]
	# pubsub, for wanda-discover's topic
	[ "$(kubo_conf Pubsub.Enabled)" = true ]
	# wanda.conf and the firewall
	assert_file_exists "$ROOT/etc/wanda/wanda.conf"
	grep -q '^api = /ip4/127.0.0.1/tcp/5001' "$ROOT/etc/wanda/wanda.conf"
	grep -q 'dport 4001 accept' "$ROOT/etc/nftables.d/wanda.nft"
	grep -q '^include "/etc/nftables.d/\*.nft"' "$ROOT/etc/nftables.conf"
	# enabled the systemd way: symlinks in the targets' wants
	for u in multi-user.target.wants/ipfs.service multi-user.target.wants/wanda-queue.service \
		timers.target.wants/wanda-gc.timer timers.target.wants/wanda-capture.timer \
		multi-user.target.wants/wanda-ipns.path timers.target.wants/wanda-ipns-republish.timer \
		multi-user.target.wants/wanda-discover.service multi-user.target.wants/wanda-serve.service; do
		[ -L "$ROOT/etc/systemd/system/$u" ] || fail "$u not enabled"
	done
	[ ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/wanda-timelapse.service" ]
	# pulling peers' sessions takes their space: only with --sync
	[ ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/wanda-sync-pull.path" ]
}

@test "setup-pi twice changes nothing: the Kubo identity and the edited config stay" {
	scratch_root
	"$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$KUBO" --capture timelapse >/dev/null
	id1=$(kubo_conf Identity.PeerID)
	echo "keep_free = 5G" >>"$ROOT/etc/wanda/wanda.conf"
	run "$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$KUBO" --capture timelapse
	assert_success
	[ "$(kubo_conf Identity.PeerID)" = "$id1" ]
	grep -q '^keep_free = 5G' "$ROOT/etc/wanda/wanda.conf"
	[ "$(grep -c '^wanda:' "$ROOT/etc/passwd")" -eq 1 ]
	[ "$(grep -c nftables.d "$ROOT/etc/nftables.conf")" -eq 1 ]
	[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/wanda-timelapse.service" ]
}

@test "setup-pi --sync also enables the pull of peers' sessions, on peers.json changes and on a timer" {
	scratch_root
	run "$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$KUBO" --capture none --sync
	assert_success
	assert_output --partial 'wanda-sync-pull.path'
	[ -L "$ROOT/etc/systemd/system/multi-user.target.wants/wanda-sync-pull.path" ]
	[ -L "$ROOT/etc/systemd/system/timers.target.wants/wanda-sync-pull.timer" ]
	[ ! -e "$ROOT/etc/systemd/system/timers.target.wants/wanda-capture.timer" ]
}

@test "setup-pi refuses what it cannot use: no files, a Kubo that is not an ELF, bad flags" {
	scratch_root
	run "$TOP/contrib/setup-pi" --deb "$DEB"
	[ "$status" -eq 64 ]
	assert_output --partial "usage: setup-pi"
	run "$TOP/contrib/setup-pi" --deb "$BATS_TEST_TMPDIR/none.deb" --kubo "$KUBO"
	[ "$status" -eq 66 ]
	assert_output --partial "none.deb: no such package file"
	echo '#!/bin/sh' >"$BATS_TEST_TMPDIR/ipfs"
	run "$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$BATS_TEST_TMPDIR/ipfs"
	[ "$status" -eq 65 ]
	assert_output --partial "not an arm64 program"
	run "$TOP/contrib/setup-pi" --deb "$DEB" --kubo "$KUBO" --capture hourly
	[ "$status" -eq 64 ]
}
