/* DKIM "relaxed" canonicalization (RFC 6376 3.4.2 and 3.4.4): the bytes a signer hashes and
 * a verifier hashes again, for the header fields and, streaming, for the body. Pure byte
 * work: no allocation on the body path, no library. */
#ifndef MC_MAIL_DKIM_CANON_H
#define MC_MAIL_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/str.h"

/* Appends the relaxed form of one header field, "name:value" with no final CRLF: the name
 * lower-cased, continuation lines unfolded, runs of spaces and tabs made one space, white
 * space around the colon and at the end removed. field is the field as the message has it
 * (folded lines included) without its final CRLF. */
void dkim_canon_header_relaxed(str_t field, buf_t *out);

/* Receives canonical body bytes in batches of up to DKIM_CANON_CHUNK bytes. */
typedef void (*dkim_canon_sink)(void *ctx, const char *p, size_t n);

#define DKIM_CANON_CHUNK 4096

/* Relaxed body canonicalization over the body fed in pieces of any size: runs of spaces and
 * tabs become one space, white space at line ends goes, empty lines at the end go, and a last
 * line without CRLF gets one. A body that is empty after all that stays empty (RFC 6376
 * 3.4.4: the CRLF of an empty body is the "simple" algorithm's; dkimpy and libopendkim hash
 * nothing). Only CRLF ends a line; a bare CR or LF is an ordinary byte. */
typedef struct {
    dkim_canon_sink sink;
    void *sink_ctx;
    size_t blank_lines; /* empty lines seen and held back: written only if content follows */
    size_t line_length; /* canonical bytes written on the current line */
    bool space;         /* white space seen since the last byte written */
    bool cr;            /* the last byte fed was a CR, held until the next one shows */
    size_t used;
    char chunk[DKIM_CANON_CHUNK];
} dkim_body_canon;

void dkim_body_canon_init(dkim_body_canon *c, dkim_canon_sink sink, void *sink_ctx);
void dkim_body_canon_update(dkim_body_canon *c, const char *p, size_t n);
/* ends the body and hands the sink the last bytes */
void dkim_body_canon_final(dkim_body_canon *c);

#endif
