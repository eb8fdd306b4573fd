/* exifdate: DateTimeOriginal in a JPEG's EXIF block (libexif), in memory.
 * libexif parses and serializes the EXIF data; splicing the APP1 segment
 * into the JPEG stream is done here. Times are written in UTC with
 * OffsetTimeOriginal "+00:00" and SubSecTimeOriginal holding the ms. */
#ifndef WANDA_EXIFDATE_H
#define WANDA_EXIFDATE_H
#include <stddef.h>
#include <stdint.h>
#include "base/werr.h"

/* DateTimeOriginal as "YYYY:MM:DD HH:MM:SS" into buf; -1 when absent or
 * when the JPEG has no EXIF. */
int exif_get_datetime_original(const uint8_t *jpg, size_t len, char *buf, size_t n);

/* A copy of the JPEG whose EXIF block has DateTimeOriginal (and its offset
 * and subseconds) for wall time ms; other EXIF entries are kept. *out is
 * malloc'd. */
int exif_set_datetime_original(const uint8_t *jpg, size_t len, long long ms,
    uint8_t **out, size_t *outlen, struct werr *e);

/* Segment walk, exposed for tests: offset and length (whole segment,
 * marker included) of the EXIF APP1; -1 when none or not a JPEG. */
int jpeg_find_exif(const uint8_t *jpg, size_t len, size_t *off, size_t *seglen);

#endif
