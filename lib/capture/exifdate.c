#include "capture/exifdate.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libexif/exif-data.h>

static const uint8_t exif_hdr[6] = { 'E', 'x', 'i', 'f', 0, 0 };

int
jpeg_find_exif(const uint8_t *jpg, size_t len, size_t *off, size_t *seglen)
{
	size_t pos = 2;

	if (len < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8)
		return -1;
	while (pos + 4 <= len) {
		if (jpg[pos] != 0xFF)
			return -1;
		while (pos + 1 < len && jpg[pos + 1] == 0xFF)
			pos++; /* fill bytes */
		if (pos + 4 > len)
			return -1;
		uint8_t m = jpg[pos + 1];
		if (m == 0xDA || m == 0xD9) /* start of scan / end: no EXIF before the data */
			return -1;
		if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
			pos += 2;
			continue;
		}
		size_t l = (size_t)jpg[pos + 2] << 8 | jpg[pos + 3];
		if (l < 2 || pos + 2 + l > len)
			return -1;
		if (m == 0xE1 && l >= 2 + sizeof exif_hdr && memcmp(jpg + pos + 4, exif_hdr, sizeof exif_hdr) == 0) {
			*off = pos;
			*seglen = 2 + l;
			return 0;
		}
		pos += 2 + l;
	}
	return -1;
}

int
exif_get_datetime_original(const uint8_t *jpg, size_t len, char *buf, size_t n)
{
	size_t off, sl;
	ExifData *ed;
	ExifEntry *en;
	int rc = -1;

	if (jpeg_find_exif(jpg, len, &off, &sl) < 0)
		return -1;
	ed = exif_data_new_from_data(jpg + off + 4, (unsigned)(sl - 4));
	if (ed == NULL)
		return -1;
	en = exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_DATE_TIME_ORIGINAL);
	if (en != NULL && en->data != NULL && en->size >= 19) {
		exif_entry_get_value(en, buf, (unsigned)n);
		rc = buf[0] ? 0 : -1;
	}
	exif_data_unref(ed);
	return rc;
}

/* Set (or replace) an ASCII entry; s is copied with its NUL, as EXIF wants. */
static int
set_ascii(ExifContent *ifd, ExifTag tag, const char *s)
{
	ExifEntry *en = exif_content_get_entry(ifd, tag);
	ExifMem *mem;
	size_t n = strlen(s) + 1;

	if (en == NULL) {
		if ((en = exif_entry_new()) == NULL)
			return -1;
		en->tag = tag;
		exif_content_add_entry(ifd, en);
		exif_entry_unref(en); /* the IFD holds it now */
	}
	if ((mem = exif_mem_new_default()) == NULL)
		return -1;
	exif_mem_free(mem, en->data);
	en->data = exif_mem_alloc(mem, (ExifLong)n);
	exif_mem_unref(mem);
	if (en->data == NULL)
		return -1;
	memcpy(en->data, s, n);
	en->format = EXIF_FORMAT_ASCII;
	en->components = n;
	en->size = (unsigned)n;
	return 0;
}

static ExifData *
load_or_new(const uint8_t *jpg, size_t len, size_t *off, size_t *sl, int *found)
{
	ExifData *ed;

	*found = jpeg_find_exif(jpg, len, off, sl) == 0;
	if (*found)
		return exif_data_new_from_data(jpg + *off + 4, (unsigned)(*sl - 4));
	if ((ed = exif_data_new()) != NULL) {
		exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
		exif_data_set_data_type(ed, EXIF_DATA_TYPE_COMPRESSED);
	}
	return ed;
}

/* Rebuild the stream: SOI, the JFIF APP0 if it came first, the new APP1,
 * then every other segment as it was (the old EXIF APP1 left out). */
static int
splice(const uint8_t *jpg, size_t len, int found, size_t off, size_t sl,
    const uint8_t *app, size_t applen, uint8_t **out, size_t *outlen)
{
	size_t keep = 2, n = 0;
	uint8_t *o;

	if (len > 6 && jpg[2] == 0xFF && jpg[3] == 0xE0 && (!found || off != 2)) {
		size_t l0 = (size_t)jpg[4] << 8 | jpg[5];
		if (4 + l0 <= len)
			keep = 2 + 2 + l0;
	}
	if ((o = malloc(len + applen + 4)) == NULL)
		return -1;
	memcpy(o, jpg, keep);
	n = keep;
	o[n++] = 0xFF;
	o[n++] = 0xE1;
	o[n++] = (uint8_t)((applen + 2) >> 8);
	o[n++] = (uint8_t)((applen + 2) & 0xFF);
	memcpy(o + n, app, applen);
	n += applen;
	if (found && off >= keep) {
		memcpy(o + n, jpg + keep, off - keep);
		n += off - keep;
		memcpy(o + n, jpg + off + sl, len - off - sl);
		n += len - off - sl;
	} else {
		memcpy(o + n, jpg + keep, len - keep);
		n += len - keep;
	}
	*out = o;
	*outlen = n;
	return 0;
}

static void
fill_times(ExifData *ed, long long ms, int *bad)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char dt[24], sub[8];

	gmtime_r(&t, &tm);
	strftime(dt, sizeof dt, "%Y:%m:%d %H:%M:%S", &tm);
	snprintf(sub, sizeof sub, "%03lld", ms % 1000);
	*bad |= set_ascii(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_DATE_TIME_ORIGINAL, dt) < 0;
	*bad |= set_ascii(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_SUB_SEC_TIME_ORIGINAL, sub) < 0;
	*bad |= set_ascii(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_OFFSET_TIME_ORIGINAL, "+00:00") < 0;
}

int
exif_set_datetime_original(const uint8_t *jpg, size_t len, long long ms,
    uint8_t **out, size_t *outlen, struct werr *e)
{
	size_t off = 0, sl = 0;
	unsigned char *app = NULL;
	unsigned int applen = 0;
	int found, bad = 0, rc;
	ExifData *ed;

	if (len < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8)
		return werr_set(e, EX_DATAERR, "EXIF: not a JPEG (no SOI marker)");
	if ((ed = load_or_new(jpg, len, &off, &sl, &found)) == NULL)
		return werr_set(e, EX_OSERR, "EXIF: out of memory");
	fill_times(ed, ms, &bad);
	if (!bad)
		exif_data_save_data(ed, &app, &applen);
	exif_data_unref(ed);
	if (bad || app == NULL || applen < sizeof exif_hdr) {
		free(app);
		return werr_set(e, EX_SOFTWARE, "EXIF: cannot build the EXIF block");
	}
	if (applen + 2 > 65535) {
		free(app);
		return werr_set(e, EX_DATAERR, "EXIF: block of %u bytes does not fit in one APP1 segment", applen);
	}
	rc = splice(jpg, len, found, off, sl, app, applen, out, outlen);
	free(app);
	if (rc < 0)
		return werr_set(e, EX_OSERR, "EXIF: out of memory");
	return 0;
}
