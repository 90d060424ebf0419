/* The event path of the tracking endpoints: a request puts its open or click into a bounded
 * in-memory batch and is answered at once; a flusher thread writes the batch into
 * engagement_inbox with COPY at least every 200 ms, as soon as it holds flush_rows events,
 * and at shutdown. A failed write is tried again with the same rows; while it fails the
 * batch fills up to its bound, and events past it are dropped and counted, never waited
 * for. The request threads never touch the database. */
#ifndef MC_TRACK_TRACK_EVENTS_H
#define MC_TRACK_TRACK_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/str.h"

struct sockaddr;

/* user agents are kept up to this many bytes, cut on a character boundary */
#define TRACK_USER_AGENT_MAX 256
/* "2001:db8:1234::/48" at most */
#define TRACK_CLIENT_HINT_MAX 52

typedef struct {
    int64_t at_us;                                             /* microseconds since the epoch */
    char kind;                                                 /* 'o' open, 'c' click */
    bool head;                                                 /* a HEAD request */
    long long message_id, campaign_id, subscriber_id, link_id; /* 0: none (NULL) */
    unsigned short user_agent_len;
    char user_agent[TRACK_USER_AGENT_MAX];
    char client_hint[TRACK_CLIENT_HINT_MAX]; /* "" for none (NULL) */
} track_event;

typedef struct track_events track_events;

/* returns a batch of at most capacity events writing through connections to dsn (copied);
 * start its flusher with track_events_start(). Caller frees with track_events_free(). */
track_events *track_events_new(const char *dsn, size_t capacity);
/* starts the flusher thread. returns 0 or -1 with err. */
int track_events_start(track_events *ev, mc_error *err);
/* Stops the flusher after it has written every event put so far (trying again for up to
 * about grace_ms while the database refuses), then frees ev. NULL is a no-op. */
void track_events_free(track_events *ev, int grace_ms);

/* Puts e into the batch. returns false when the batch is full and e was dropped (counted). */
bool track_events_put(track_events *ev, const track_event *e);

/* Appends the Prometheus text of the counters (events recorded, dropped, written, flushes and
 * failed flushes, events waiting) to out. */
void track_events_render_metrics(track_events *ev, buf_t *out);

/* Sets e's user agent from ua (may be NULL), cut to TRACK_USER_AGENT_MAX bytes on a UTF-8
 * character boundary. */
void track_event_set_user_agent(track_event *e, const char *ua);
/* Writes the privacy-preserving hint of addr into out: an IPv4 address truncated to its /24
 * ("203.0.113.0/24"), an IPv6 address to its /48 ("2001:db8:1::/48"; a mapped IPv4 address
 * as IPv4); "" when addr is NULL or of another family. */
void track_client_hint(const struct sockaddr *addr, char out[TRACK_CLIENT_HINT_MAX]);
/* Appends e as one line of COPY's text format for the columns occurred_at, kind, message_id,
 * campaign_id, subscriber_id, link_id, method, user_agent, client_hint. */
void track_event_copy_line(const track_event *e, buf_t *out);

#endif
