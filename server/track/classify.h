/* Human or machine: the rules that tell a person's open or click from an image proxy's fetch
 * or a link scanner's visit. Pure functions over what the tracking endpoints recorded (user
 * agent, truncated address, method, time) and when the message was sent; docs/tracking.md
 * ("Human or machine") describes the same rules for people. */
#ifndef MC_TRACK_CLASSIFY_H
#define MC_TRACK_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { TRACK_OPEN, TRACK_CLICK } track_kind;

/* An open closer to its message's delivery than this is a prefetch: nobody reads that fast. */
#define TRACK_OPEN_PREFETCH_SECONDS 5.0
/* A click closer to delivery than this is a scanner following the links on arrival. */
#define TRACK_CLICK_SCAN_SECONDS 10.0
/* Clicks of one message on every one of its links within this span are a scanner's. */
#define TRACK_BURST_SECONDS 5.0

typedef struct {
    /* in */
    track_kind kind;
    bool head;               /* a HEAD request */
    const char *user_agent;  /* "" when none was sent */
    const char *client_hint; /* truncated address ("192.0.2.0", "2001:db8:1::/48"), or NULL */
    long long message_id;
    long long link_id;  /* the tracked link of a click; 0 when unknown */
    double at;          /* when it happened, seconds since the epoch */
    double sent_at;     /* when the message was handed over; < 0 when unknown */
    int campaign_links; /* tracked links of the message's campaign (0 when unknown) */
    /* out, from track_classify_batch() */
    bool machine;
    const char *reason; /* static: the rule that said machine, "" for a person */
} track_event;

/* returns the reason an open (kind TRACK_OPEN) or click with this user agent is a machine's
 * ("apple_privacy_proxy", "image_proxy", "scanner", "bot", "no_user_agent"), or NULL when the
 * agent says nothing against a person. Case-insensitive. */
const char *track_agent_machine(const char *user_agent, track_kind kind);
/* returns "proxy_address" or "scanner_address" when the truncated client address lies in a
 * known range of mail privacy proxies or security scanners, else NULL (also for NULL or an
 * unparsable hint). */
const char *track_address_machine(const char *client_hint, track_kind kind);
/* The rules that look at one event alone: method, user agent, address, time since delivery.
 * returns the reason, or NULL for a person. */
const char *track_classify_one(const track_event *e);
/* Classifies n events sorted by (message_id, at): every single-event rule, then the burst
 * rule (a message's clicks that cover all of its campaign's links, at least two, within
 * TRACK_BURST_SECONDS of each other). Sets machine and reason of each. */
void track_classify_batch(track_event *events, size_t n);

#endif
