/* varint: round trips at the byte-length boundaries, strict decoding. */
#include <stdint.h>
#include "tap.h"
#include "ipld/varint.h"

int
main(void)
{
	static const struct {
		uint64_t v;
		size_t len;
		uint8_t b[10];
	} vec[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 255, 2, { 0xff, 0x01 } },
		{ 300, 2, { 0xac, 0x02 } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } },
		{ 0x70, 1, { 0x70 } },
		{ 0x55, 1, { 0x55 } },
		{ 0x7fffffffffffffffULL, 9,
		    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f } },
	};
	uint8_t buf[10];
	uint64_t v;

	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		size_t n = varint_put(vec[i].v, buf);
		is_int(n, vec[i].len, "varint_put(%llu) length", (unsigned long long)vec[i].v);
		ok(memcmp(buf, vec[i].b, n) == 0, "varint_put(%llu) bytes", (unsigned long long)vec[i].v);
		is_int(varint_len(vec[i].v), vec[i].len, "varint_len(%llu)", (unsigned long long)vec[i].v);
		is_int(varint_get(vec[i].b, vec[i].len, &v), (int)vec[i].len, "varint_get consumes all");
		ok(v == vec[i].v, "varint_get(%llu) value", (unsigned long long)vec[i].v);
	}
	/* 2^63 needs 10 bytes: encodable, but over the multiformats 9-byte cap */
	is_int(varint_put(1ULL << 63, buf), 10, "2^63 encodes to 10 bytes");
	is_int(varint_len(UINT64_MAX), 10, "varint_len(UINT64_MAX) is 10");
	is_int(varint_get(buf, 10, &v), -1, "10-byte varint rejected");

	is_int(varint_get((const uint8_t *)"", 0, &v), -1, "empty input rejected");
	is_int(varint_get((const uint8_t[]){ 0x80 }, 1, &v), -1, "truncated varint rejected");
	is_int(varint_get((const uint8_t[]){ 0x80, 0x80 }, 2, &v), -1, "truncated 2-byte varint rejected");
	is_int(varint_get((const uint8_t[]){ 0x81, 0x00 }, 2, &v), -1, "non-minimal 0x81 0x00 rejected");
	is_int(varint_get((const uint8_t[]){ 0x80, 0x00 }, 2, &v), -1, "non-minimal zero rejected");
	is_int(varint_get((const uint8_t[]){ 0x05, 0xff }, 2, &v), 1, "stops at the first final byte");
	is_int(v, 5, "value before trailing data");
	return done_testing();
}
