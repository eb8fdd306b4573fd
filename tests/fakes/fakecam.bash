# Shared by the fake camera programs: record the call, misbehave on request,
# write a real picture.
#   FAKE_LOG     file that gets one line per call: the program and its args
#   FAKE_SLEEP   seconds to sleep before writing the picture
#   FAKE_HANG    1: never finish (FAKE_IGNORE_TERM=1: and ignore SIGTERM;
#                FAKE_PIDFILE gets its pid)
#   FAKE_HANG_ONCE  a file: hang on the call that finds it (and removes it)
#   FAKE_FAIL    exit with this status, after printing to stderr
fake_record() {
	[ -n "${FAKE_LOG:-}" ] && printf '%s\n' "$(basename "$0") $*" >>"$FAKE_LOG"
	if [ -n "${FAKE_HANG_ONCE:-}" ] && [ -e "$FAKE_HANG_ONCE" ]; then
		rm -f "$FAKE_HANG_ONCE"
		FAKE_HANG=1
	fi
	if [ "${FAKE_HANG:-0}" = 1 ]; then
		[ "${FAKE_IGNORE_TERM:-0}" = 1 ] && trap '' TERM
		[ -n "${FAKE_PIDFILE:-}" ] && echo $$ >"$FAKE_PIDFILE"
		while :; do sleep 1; done
	fi
	if [ -n "${FAKE_FAIL:-}" ]; then
		echo "ERROR: *** no cameras available ***" >&2
		exit "$FAKE_FAIL"
	fi
	[ -n "${FAKE_SLEEP:-}" ] && sleep "$FAKE_SLEEP"
	return 0
}

# fake_rgb W H > raw: W*H*3 bytes of deterministic noise
fake_rgb() {
	openssl enc -aes-128-ctr -nosalt -pass "pass:fake$1x$2" -pbkdf2 -iter 1 </dev/zero 2>/dev/null |
		head -c $(($1 * $2 * 3))
}

# fake_jpeg W H OUT: a real JPEG (no EXIF, like many cameras' encoders)
fake_jpeg() {
	"$WANDA_TESTBIN/mkjpeg" "$1" "$2" "${FAKE_SEED:-1}" "$3"
}
