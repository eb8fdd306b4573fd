#!/usr/bin/env bats
# wanda-dag add against CIDs Kubo itself printed, from Kubo's own tests.
# Each input is rebuilt here with the recipe of the test the CID comes from.
#
# Not usable (their inputs cannot be rebuilt here):
#  - t0040 test_add_cat_5MB / test_add_cat_expensive, t0045 d1/128, d2/1024 and
#    test_ls_object: `random SIZE SEED` (go-random, Go math/rand streams);
#  - t0043-add-w.sh: trees from `random-files --seed 7547632`;
#  - t0040 add_directory '--hash=blake2b-256': blake2b is not supported;
#  - t0040 --chunker rabin/buzhash: only size-N is supported.
# HAMT vectors (cid_profiles_test.go dir-basic/dir-hamt) are in the HAMT tests.
load helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	export -f kubo_random
}

# Kubo's testutils.DeterministicRandomReader (test/cli/testutils/
# random_deterministic.go): ChaCha20 keystream, key = sha256(seed), zero
# nonce, counter 0. openssl's -iv is counter (4 bytes LE) then nonce.
# kubo_random SEED SIZE [BLOCK]: BLOCK skips the first BLOCK*64 bytes.
kubo_random() {
	local key ctr
	key=$(printf %s "$1" | sha256sum | cut -c1-64)
	ctr=$(printf '%08x' "${3:-0}" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
	openssl enc -chacha20 -K "$key" -iv "${ctr}000000000000000000000000" -in /dev/zero 2>/dev/null | head -c "$2"
}

# CIDs of the JSON lines, "name cid" per line.
names_cids() {
	jq -r '.name + " " + .cid'
}

@test "hello world: default, CIDv1, raw leaves off, sha2-512, unixfs-v1-2025 (test/cli/add_test.go)" {
	printf 'hello world' >hw
	run wanda-dag add -Q hw
	assert_success
	assert_output Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD
	run wanda-dag add -Q --cid-version=1 hw
	assert_output bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e
	run wanda-dag add -Q --cid-version 1 --raw-leaves=false hw
	assert_output bafybeihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa
	run wanda-dag add -Q --hash=sha2-512 hw
	assert_output bafkrgqbqt3gerhas23vuzrapkdeqf4vu2dwxp3srdj6hvg6nhsug2tgyn6mj3u23yx7utftq3i2ckw2fwdh5qmhid5qf3t35yvkc5e5ottlw6
	run wanda-dag add -Q --profile=unixfs-v1-2025 hw
	assert_output bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e
	run wanda-dag add -Q --profile=unixfs-v0-2015 hw
	assert_output Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD
	# --cid-version 0 on the command line beats the profile (add_test.go)
	run wanda-dag add -Q --cid-version=0 --raw-leaves=false --profile=unixfs-v1-2025 hw
	assert_output Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD
}

@test "single file: JSON line with name, cid, size and bytes (t0040-add-and-cat.sh)" {
	echo "Hello Worlds!" >hello.txt
	run wanda-dag add hello.txt
	assert_success
	assert_output '{"name":"hello.txt","cid":"QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH","size":22,"bytes":14}'
	# a path is named by its last element, wherever it is
	mkdir -p mountdir && cp hello.txt mountdir/
	run wanda-dag add --jq .name mountdir/hello.txt
	assert_output '"hello.txt"'
}

@test "trickle, size-64 chunker, hidden file given explicitly (t0040-add-and-cat.sh)" {
	echo "Hello Worlds!" >hello.txt
	run wanda-dag add -q -t hello.txt
	assert_output QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi
	run wanda-dag add -q --trickle hello.txt
	assert_output QmUkUQgxXeggyaD5Ckv8ZqfW8wHBX6cYyeiyqvVZYzq5Bi
	run wanda-dag add -q --chunker=size-64 hello.txt
	assert_output QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH
	cp hello.txt .hello.txt
	run wanda-dag add .hello.txt
	assert_output --partial '"name":".hello.txt","cid":"QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH"'
}

@test "empty file: dag-pb, raw leaves, trickle (t0040-add-and-cat.sh)" {
	touch zero-length-file
	run wanda-dag add -q zero-length-file
	assert_output QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH
	run wanda-dag add -q --raw-leaves zero-length-file
	assert_output bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
	run wanda-dag add -q -t zero-length-file
	assert_output QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH
}

@test "standard input: named, unnamed (named by its CID), -q (t0040-add-and-cat.sh)" {
	run bash -c 'echo IPFS | wanda-dag add --stdin-name file.txt'
	assert_output --partial '"name":"file.txt","cid":"QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w"'
	run bash -c 'echo IPFS | wanda-dag add -w --stdin-name file.txt - | head -n1'
	assert_output --partial '"name":"file.txt","cid":"QmdFyxZXsFiP4csgfM5uPu99AvFiKH62CSPDw5TP92nr7w"'
	run bash -c 'printf "Hello Neptune!\nHello Pluton!" | wanda-dag add -'
	assert_output --partial '"name":"QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3","cid":"QmZDhWpi8NvKrekaYYhxKCdNVGWsFFe1CREnAjP1QbPaB3"'
	run bash -c 'echo "Hello Jupiter!" | wanda-dag add -q'
	assert_output QmUnvPcBctVTAcJpigv6KMqDvmDewksPWrNVoy1E1WP5fh
}

@test "--cid-base=base32 shows a CIDv0 as CIDv1 (t0040-add-and-cat.sh)" {
	echo "base32 test" >base32-test.txt
	run wanda-dag add -q --cid-base=base32 base32-test.txt
	assert_output bafybeibyosqxljd2eptb4ebbtvk7pb4aoxzqa6ttdsflty6rsslz5y6i34
	# base58btc keeps a CIDv0 as it is; a raw-leaf CIDv1 in base58btc (t0045-ls.sh)
	v0=$(wanda-dag add -q base32-test.txt)
	[[ $v0 == Qm* ]]
	run wanda-dag add -q --cid-base=base58btc base32-test.txt
	assert_output "$v0"
	echo bar >foo
	run wanda-dag add -q --raw-leaves --cid-base=base58btc foo
	assert_output zb2rhf6GzX4ckKZtjy8yy8iyq1KttCrRyqDedD6xubhY3sw2F
}

@test "several files: one root each, in name order (t0040-add-and-cat.sh)" {
	echo "Hello Worlds!" >hello.txt
	echo "Helloo Worlds!" >hello2.txt
	run bash -c 'wanda-dag add hello2.txt hello.txt | jq -r ".name + \" \" + .cid"'
	assert_success
	assert_output "hello.txt QmVr26fY1tKyspEJBniVhqxQeEjhF78XerGiqWAwraVLQH
hello2.txt Qmf35k66MZNW2GijohUmXQEWKZU4cCGTCwK6idfnt152wJ"
	run wanda-dag add -Q hello.txt hello2.txt
	assert_output Qmf35k66MZNW2GijohUmXQEWKZU4cCGTCwK6idfnt152wJ
}

mkplanets() {
	mkdir -p planets
	echo "Hello Mars!" >planets/mars.txt
	echo "Hello Venus!" >planets/venus.txt
}

@test "directory, CIDv0 (t0040-add-and-cat.sh add_directory)" {
	mkplanets
	run bash -c 'wanda-dag add -r planets | jq -r ".name + \" \" + .cid"'
	assert_output "planets/mars.txt QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN
planets/venus.txt QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4
planets QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY"
	run wanda-dag add -r -Q planets
	assert_output QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY
}

@test "directory with --raw-leaves, --cid-version=1, CIDv1 without raw leaves (t0040-add-and-cat.sh)" {
	mkplanets
	run wanda-dag add -r -q --raw-leaves planets
	assert_output "bafkreibmlvvgdyihetgocpof6xk64kjjzdeq2e4c7hqs3krdheosk4tgj4
bafkreihfsphazrk2ilejpekyltjeh5k4yvwgjuwg26ueafohqioeo3sdca
QmfWfQfKCY5Ukv9peBbxM5vqWM9BzmqUSXvdCgjT2wsiBT"
	run wanda-dag add -r -Q --cid-version=1 planets
	assert_output bafybeih7e5dmkyk25up5vxug4q3hrg2fxbzf23dfrac2fns5h7z4aa7ioi
	run wanda-dag add -r -q --cid-version=1 --raw-leaves=false planets
	assert_output "bafybeiawta2ntdmsy24aro35w3homzl4ak7svr3si7l7gesvq4erglyye4
bafybeicvkvhs2fr75ynebtdjqpgm4g2fc63abqbmysupwpmcjl4gx7mzrm
bafybeif5tuep5ap2d7zyhbktucey75aoacxufgt6i3v4gebmixyipnyp7y"
}

@test "nested directories: Kubo's event order and names (t0040-add-and-cat.sh 'ipfs add -rn')" {
	mkdir -p mountdir/moons/jupiter mountdir/moons/saturn
	echo "Hello Europa!" >mountdir/moons/jupiter/europa.txt
	echo "Hello Titan!" >mountdir/moons/saturn/titan.txt
	echo "hey youre no moon!" >mountdir/moons/mercury.txt
	run bash -c 'wanda-dag add -rn mountdir/moons | jq -r ".name + \" \" + .cid"'
	assert_success
	assert_output "moons/jupiter/europa.txt Qmbjg7zWdqdMaK2BucPncJQDxiALExph5k3NkQv5RHpccu
moons/mercury.txt QmUJjVtnN8YEeYcS8VmUeWffTWhnMQAkk5DzZdKnPhqUdK
moons/saturn/titan.txt QmZzppb9WHn552rmRqpPfgU5FEiHH6gDwi3MrB9cTdPwdb
moons/jupiter QmS5mZddhFPLWFX3w6FzAy9QxyYkaxvUpsWCtZ3r7jub9J
moons/saturn QmaMagZT4rTE7Nonw8KGSK4oe1bh533yhZrCo1HihSG8FK
moons QmVKvomp91nMih5j6hYBA8KjbiaYvEetU2Q7KvtZkLe9nQ"
	# bytes of a directory: the files under it; size: the whole DAG
	run bash -c 'wanda-dag add -r mountdir/moons | tail -n1 | jq -c "[.bytes, .size]"'
	assert_output "[46,335]"
}

@test "-r . and ./ are named after the directory, also through a symlink (t0040-add-and-cat.sh)" {
	mkdir -p test_current_dir/hello
	echo "Hey" >test_current_dir/hey
	echo "World" >test_current_dir/hello/world
	cd test_current_dir
	run bash -c 'wanda-dag add -r . | tail -n1 | jq -r ".name + \" \" + .cid"'
	assert_output "test_current_dir QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1"
	run bash -c 'wanda-dag add -r ./ | tail -n1 | jq -r ".name + \" \" + .cid"'
	assert_output "test_current_dir QmZQWnfcqJ6hNkkPvrY9Q5X39GP3jUnUbAV4AbmbbR3Cb1"
	cd ..
	mkdir hellodir && echo "World" >hellodir/world && ln -s hellodir hellolink
	cd hellolink
	run bash -c 'wanda-dag add -r . | jq -r ".name + \" \" + .cid"'
	assert_line --index 0 "hellodir/world Qma9CyFdG5ffrZCcYSin2uAETygB25cswVwEYYzwfQuhTe"
	assert_line --index 1 --regexp "^hellodir Qm"
}

mkhidden() {
	mkdir -p mountdir/planets/.asteroids
	echo "Hello Mars" >mountdir/planets/mars.txt
	echo "Hello Venus" >mountdir/planets/venus.txt
	echo "Hello Pluto" >mountdir/planets/.pluto.txt
	echo "Hello Charon" >mountdir/planets/.charon.txt
	echo "Hello Ceres" >mountdir/planets/.asteroids/ceres.txt
	echo "Hello Pallas" >mountdir/planets/.asteroids/pallas.txt
}

@test "hidden files skipped by default, included with -H (t0042-add-skip.sh)" {
	mkhidden
	run bash -c 'wanda-dag add -r mountdir/planets | jq -r ".cid + \" \" + .name"'
	assert_output "QmZy3khu7qf696i5HtkgL2NotsCZ8wzvNZJ1eUdA5n8KaV planets/mars.txt
QmQnv4m3Q5512zgVtpbJ9z85osQrzZzGRn934AGh6iVEXz planets/venus.txt
QmR8nD1Vzk5twWVC6oShTHvv7mMYkVh6dApCByBJyV2oj3 planets"
	run bash -c 'wanda-dag add -r -H mountdir/planets | jq -r ".cid + \" \" + .name"'
	assert_output "QmcAREBcjgnUpKfyFmUGnfajA1NQS5ydqRp7WfqZ6JF8Dx planets/.asteroids/ceres.txt
QmZ5eaLybJ5GUZBNwy24AA9EEDTDpA4B8qXnuN3cGxu2uF planets/.asteroids/pallas.txt
QmaowqjedBkUrMUXgzt9c2ZnAJncM9jpJtkFfgdFstGr5a planets/.charon.txt
QmU4zFD5eJtRBsWC63AvpozM9Atiadg9kPVTuTrnCYJiNF planets/.pluto.txt
QmZy3khu7qf696i5HtkgL2NotsCZ8wzvNZJ1eUdA5n8KaV planets/mars.txt
QmQnv4m3Q5512zgVtpbJ9z85osQrzZzGRn934AGh6iVEXz planets/venus.txt
Qmf6rbs5GF85anDuoxpSAdtuZPM9D2Yt3HngzjUVSQ7kDV planets/.asteroids
QmetajtFdmzhWYodAsZoVZSiqpeJDAiaw2NwbM3xcWcpDj planets"
	run wanda-dag add -Q --hidden mountdir/planets -r
	assert_output QmetajtFdmzhWYodAsZoVZSiqpeJDAiaw2NwbM3xcWcpDj
	# a dot file named on the command line is added (t0042)
	mkdir -p mountdir/dotfiles && echo "set nocompatible" >mountdir/dotfiles/.vimrc
	run bash -c 'wanda-dag add mountdir/dotfiles/.vimrc | jq -r ".cid + \" \" + .name"'
	assert_output "QmT4uMRDCN7EMpFeqwvKkboszbqeW1kWVGrBxBuCGqZcQc .vimrc"
}

@test "symlinks are added as links, never followed, broken ones too (t0044-add-symlink.sh)" {
	mkdir -p files/foo files/bar
	echo "some text" >files/foo/baz
	ln -s files/foo/baz files/bar/baz
	ln -s files/does/not/exist files/bad
	run bash -c 'wanda-dag add -q -r files | tail -n 1'
	assert_output QmWdiHKoeSW8G1u7ATCgpx4yMoUhYaJBQGkyPLkS9goYZ8
	run wanda-dag add -q files/bar/baz
	assert_output QmdocmZeF7qwPT9Z8SiVhMSyKA2KKoA2J7jToW6z6WBmxR
	run wanda-dag add -q files/bad
	assert_output QmWYN8SEXCgNT2PSjB6BnxAx6NJQtazWoBkTRH9GRfPFFQ
}

@test "-w wraps a file in a directory named \"\" (core/commands/add.go help text)" {
	touch example.jpg
	run bash -c 'wanda-dag add -w example.jpg | jq -r "\"[\" + .name + \"] \" + .cid"'
	assert_output "[example.jpg] QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH
[] QmaG4FuMqEBnQNn3C8XJ5bpW8kLs7zq2ZXgHptJHbKDDVx"
}

@test "-w with directories and files: one wrapping root, paths kept, name order (t0045-ls.sh files)" {
	mkdir -p testData/d1 testData/d2
	echo "test" >testData/f1
	echo "data" >testData/f2
	echo "hello" >testData/d1/a
	echo "world" >testData/d2/a
	run bash -c 'wanda-dag add -r -w testData/f2 testData/d1 testData/f1 | jq -r "\"[\" + .name + \"] \" + .cid"'
	assert_success
	[ "${#lines[@]}" -eq 5 ]
	assert_line --index 0 "[d1/a] QmZULkCELmmk5XNfCgTnCyFgAVxBRBXyDHGGMVoLFLiXEN"
	assert_line --index 1 "[f1] QmeomffUNfmQy76CQGy9NdmqEnnHU9soCexBnGU3ezPHVH"
	assert_line --index 2 "[f2] QmNtocSs7MoDkJMc1RkyisCSKvLadujPsfJfSdJ3e1eA1M"
	assert_line --index 3 --regexp '^\[d1\] Qm'
	assert_line --index 4 --regexp '^\[\] Qm'
	# the same file twice is added once; two files with one name cannot be wrapped
	run wanda-dag add -w -q testData/f1 testData/f1
	[ "${#lines[@]}" -eq 2 ]
	run wanda-dag add -w testData/d1/a testData/d2/a
	[ "$status" -eq 64 ]
	assert_output --partial "testData/d2/a"
}

@test "raw leaves in a directory (t0045-ls.sh test_ls_cmd_raw_leaves)" {
	mkdir -p somedir && echo bar >somedir/foo
	run wanda-dag add --raw-leaves -r -Q somedir/
	assert_output QmThNTdtKaVoCVrYmM5EBS6U3S5vfKFue2TxbxxAxRcKKE
}

@test "multi-level balanced DAGs at and over 174 links (test/cli/cid_profiles_test.go, seed v0-seed)" {
	run bash -c 'kubo_random v0-seed $((44544 * 1024)) | wanda-dag add -Q -'
	assert_output QmUbBALi174SnogsUzLpYbD4xPiBSFANF4iztWCsHbMKh2
	kubo_random v0-seed $((44800 * 1024)) >f
	run wanda-dag add -Q --profile=unixfs-v0-2015 f
	assert_output QmepeWtdmS1hHXx1oZXsPUv6bMrfRRKfZcoPPU4eEfjnbf
}

@test "--max-file-links 1024 on 256 MiB (test/cli/add_test.go, seed 'hello world')" {
	run bash -c 'kubo_random "hello world" $((262144 * 1024)) | wanda-dag add -Q --max-file-links 1024'
	assert_output QmbBftNHWmjSWKLC49dMVrfnY8pjrJYntiAXirFJ7oJrNk
}

# Streamed through a pipe: 2 GiB never touch the disk.
@test "unixfs-v1-2025: 1024 MiB at 1024 links, 1025 MiB rebalanced (test/cli/cid_profiles_test.go)" {
	run bash -c 'kubo_random v1-2025-seed $((1024 * 1048576)) | wanda-dag add -Q --profile=unixfs-v1-2025 -'
	assert_output bafybeihmf37wcuvtx4hpu7he5zl5qaf2ineo2lqlfrapokkm5zzw7zyhvm
	run bash -c '{ kubo_random v1-2025-seed $((1024 * 1048576)); kubo_random v1-2025-seed 1048576 $((1024 * 1048576 / 64)); } |
		wanda-dag add -Q --profile=unixfs-v1-2025 -'
	assert_output bafybeihmzokxxjqwxjcryerhp5ezpcog2wcawfryb2xm64xiakgm4a5jue
}

@test "--car writes what ipfs dag export writes: header, then blocks from the root" {
	mkplanets
	run wanda-dag add -r -w -Q --car out.car planets
	assert_success
	root=$output
	run wanda-dag verify out.car
	assert_success
	assert_output --partial "\"roots\":[\"$root\"],\"blocks\":4"
	run bash -c 'wanda-dag ls out.car | jq -r .cid'
	assert_output "$root
QmWSgS32xQEcXMeqd3YPJLrNBLSdsfYCep2U7CFkyrjXwY
QmPrrHqJzto9m7SyiRzarwkqPcCSsKR2EB1AyqJfe8L8tN
QmU5kp3BH3B8tnWUU2Pikdb2maksBNkb92FHRr56hyghh4"
}

@test "errors: one line naming the path or flag, sysexits codes (t0040-add-and-cat.sh)" {
	mkplanets
	run wanda-dag add planets
	[ "$status" -eq 64 ]
	assert_output "wanda-dag: 'planets' is a directory, use the '-r' flag to specify directories"
	run wanda-dag add no-such-file
	[ "$status" -eq 66 ]
	assert_output --partial "no-such-file"
	run wanda-dag add -Q --chunker=size-0 planets/mars.txt
	[ "$status" -eq 64 ]
	assert_output --partial "--chunker"
	run wanda-dag add --chunker=size-1048577 planets/mars.txt
	[ "$status" -eq 64 ]
	run wanda-dag add --chunker=rabin-36-512-1024 planets/mars.txt
	[ "$status" -eq 64 ]
	assert_output --partial "rabin-36-512-1024"
	run wanda-dag add --cid-version=9 planets/mars.txt
	[ "$status" -eq 64 ]
	assert_output --partial "--cid-version"
	run wanda-dag add --cid-version=0 --hash=sha2-512 planets/mars.txt
	[ "$status" -eq 64 ]
	assert_output --partial "CIDv0 only supports sha2-256"
	run wanda-dag add --hash=md5 planets/mars.txt
	[ "$status" -eq 64 ]
	run wanda-dag add --raw-leaves=maybe planets/mars.txt
	[ "$status" -eq 64 ]
	assert_output --partial "--raw-leaves=maybe"
	run wanda-dag add --profile=nope planets/mars.txt
	[ "$status" -eq 64 ]
	run wanda-dag add --max-file-links 1 planets/mars.txt
	[ "$status" -eq 64 ]
	mkfifo named-pipe
	run wanda-dag add named-pipe
	[ "$status" -eq 65 ]
	assert_output --partial "named-pipe"
	mkdir -p named-pipe-dir && mkfifo named-pipe-dir/named-pipe
	run wanda-dag add -r named-pipe-dir
	[ "$status" -eq 65 ]
	assert_output --partial "named-pipe-dir/named-pipe"
	run wanda-dag add --car /nonexistent-dir/x.car planets/mars.txt
	[ "$status" -ne 0 ]
	assert_output --partial "/nonexistent-dir/x.car"
}

# The CAR against Kubo's own `dag export` (the tests' Kubo, run offline on
# a fresh repo): the same bytes, symlink included.
@test "--car is byte for byte what Kubo's dag export writes for the same tree" {
	local kubo
	kubo=$("$TOP/tests/kubo-build") || fail "no Kubo (tests/kubo-build)"
	export IPFS_PATH="$BATS_TEST_TMPDIR/repo"
	mkdir -p tree/sub/deeper
	gen_bytes car 700000 >tree/big
	echo hi >tree/sub/a
	: >tree/sub/deeper/empty
	ln -s ../big tree/sub/link
	run "$kubo" init --profile=test
	assert_success
	root=$("$kubo" add -r -Q --offline tree 2>/dev/null)
	"$kubo" --offline dag export "$root" >kubo.car 2>/dev/null
	run wanda-dag add -r -Q --car ours.car tree
	assert_output "$root"
	cmp kubo.car ours.car
}
