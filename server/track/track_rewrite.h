/* Rewriting a rendered message for tracking: every http(s) href of the HTML part becomes a
 * signed click URL (<public_url>/t/c/<token>) and an open pixel goes before </body>. The HTML
 * is parsed with gumbo and only the href values are spliced in: every other byte stays as
 * rendered. The text part then shows the same tracked URLs. No I/O here: the link ids come
 * from a callback (track_links.h in the sender). */
#ifndef MC_TRACK_TRACK_REWRITE_H
#define MC_TRACK_TRACK_REWRITE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"
#include "track/track_token.h"

/* The longest URL tracked_links stores; longer links are left as they are. */
#define TRACK_URL_MAX 8192

typedef struct {
    const unsigned char *secret; /* 32 bytes */
    str_t public_url;            /* without a trailing slash */
    bool clicks, opens;          /* rewrite links; add the pixel */
    /* the message the tokens name; kind and link_id are filled here */
    track_token message;
    /* links that stay as they are besides mailto:, tel:, anchors and data-notrack: URLs that
     * start with one of these (the unsubscribe and preferences pages) */
    const str_t *keep_prefixes;
    size_t keep_count;
    /* fills ids[i] with the tracked_links id of urls[i] (as the href means it, entities
     * decoded; the n URLs of one message, each once). returns 0, or -1 with err */
    int (*link_ids)(void *arg, const str_t *urls, size_t n, long long *ids, mc_error *err);
    void *link_arg;
} track_rewrite_options;

/* The links replaced in one message: each original URL (decoded) and its click URL. */
typedef struct {
    buf_t text;   /* the URLs, one after the other */
    size_t *offs; /* per pair: original [offs[2i], offs[2i+1]) then click URL up to offs[2i+2] */
    size_t count, cap;
} track_url_map;

void track_url_map_free(track_url_map *map);

/* Writes html, rewritten as o says, into out (reset first) and records the replaced links in
 * map (reset first). The link ids are asked for once, all together. returns 0, or -1 with err
 * from o->link_ids. */
int track_rewrite_html(const track_rewrite_options *o, str_t html, buf_t *out, track_url_map *map,
                       mc_error *err);

typedef struct track_template track_template;

/* As track_rewrite_html() for html rendered from a template marked by tt (track_template.h),
 * without parsing it: each marked href is decided (http(s)? left alone?) and its click URL put
 * in, the pixel goes where the closing body tag's marker is (else at the end), and every
 * marker is removed. Literal links name their row; a personalized link's token also carries
 * the URL it rendered. The link ids of all of tt's hrefs (as written) are asked for at once.
 * returns 0; 1 when the markers do not pair up as written, or a value cannot be read without
 * gumbo (out is then of no use: strip the markers and call track_rewrite_html()); -1 with err
 * from o->link_ids. */
int track_rewrite_marked(const track_rewrite_options *o, const track_template *tt, str_t html,
                         buf_t *out, track_url_map *map, mc_error *err);

/* Writes text into out (reset first) with every URL of map replaced by its click URL. A URL
 * matches when it is written whole (not the start of a longer URL), as it is in the HTML or,
 * for a text part written by hand that the UTM tagging of the HTML does not reach, without
 * its utm_ parameters. The longest match wins. */
void track_rewrite_text(const track_url_map *map, str_t text, buf_t *out);

/* Appends url to out with every byte that may not stand in a Location header as it is
 * (non-ASCII, controls, space and the characters URIs exclude) percent-encoded, so that an
 * IRI redirects to its URI form. */
void track_uri_from_iri(str_t url, buf_t *out);

#endif
