/* The transport interface: hand a batch of finished messages to a peer and learn, per
 * recipient, what became of each. Implementations: libesmtp (plain, STARTTLS), libcurl
 * (implicit TLS on port 465, SNI) and the capture outbox. A batch is one connection:
 * the transport opens it, sends every message, and closes it. */
#ifndef MC_MAIL_TRANSPORT_H
#define MC_MAIL_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/str.h"

/* What became of one message for one recipient. */
typedef enum {
    MAIL_SENT,      /* the peer accepted it (2xx after DATA) */
    MAIL_TEMPORARY, /* 4xx, connection failure, timeout, or never attempted: retry later */
    MAIL_PERMANENT, /* 5xx: do not retry this recipient */
} mail_outcome;

typedef struct {
    mail_outcome outcome;
    int code;          /* SMTP reply code, 0 when no reply was received */
    char enhanced[16]; /* RFC 3463 status such as "5.1.1", empty when the peer gave none */
    char text[256];    /* the reply text, or why there was no reply */
    /* the whole message was handed over and no reply came: the peer may have accepted it,
     * so sending it again may deliver it twice */
    bool maybe_delivered;
} mail_result;

typedef struct {
    str_t envelope_from; /* MAIL FROM (a VERP address or the bounce address) */
    str_t recipient;     /* RCPT TO */
    str_t data;          /* the signed message, CRLF line ends, without dot-stuffing */
    str_t message_id;    /* "<id@domain>", names the capture file */
} mail_envelope;

typedef struct mail_transport mail_transport;

/* Told of a connection's progress while it is open, so that the sender stores each result as
 * it comes and knows which message may have reached the peer. Every callback may be NULL; they
 * run in the sending thread, between two steps of the SMTP dialogue, and must be quick. i is
 * the message's index in the send call. */
typedef struct {
    void *arg;
    /* the data of message i starts (the relay took its envelope); nothing is handed over yet */
    void (*starting)(void *arg, size_t i);
    /* message i is about to be handed over: the end of its data (the peer's acceptance)
     * follows. returns false to keep it back: the transport then ends the connection without
     * handing it over, and its result is temporary, not a possible delivery. */
    bool (*handing_over)(void *arg, size_t i);
    /* message i has its final result r (borrowed for the call); at most once per message,
     * before the send call returns, which still fills every result */
    void (*result)(void *arg, size_t i, const mail_result *r);
} mail_progress;

typedef struct {
    const char *name; /* "esmtp", "curl", "capture" */
    /* Sends msgs[0..n) over one connection and fills results[0..n) (always, even when the
     * connection fails: those results are MAIL_TEMPORARY). returns 0 when a connection was
     * made, -1 when none could be (err says why; the relay then backs off). */
    int (*send_batch)(mail_transport *t, const mail_envelope *msgs, size_t n, mail_result *results,
                      mc_error *err);
    void (*free)(mail_transport *t);
} mail_transport_ops;

struct mail_transport {
    const mail_transport_ops *ops;
    const mail_progress *progress; /* borrowed; NULL: nobody listens */
};

/* Makes t report the progress of its next send calls to progress (borrowed until it is
 * replaced; NULL stops the reports). */
static inline void mail_transport_set_progress(mail_transport *t, const mail_progress *progress)
{
    t->progress = progress;
}

/* For transports: report to t's listener, if any. handing_over returns true when nobody
 * listens. */
static inline void mail_progress_starting(const mail_transport *t, size_t i)
{
    if (t->progress && t->progress->starting) t->progress->starting(t->progress->arg, i);
}
static inline bool mail_progress_handing_over(const mail_transport *t, size_t i)
{
    return !t->progress || !t->progress->handing_over ||
           t->progress->handing_over(t->progress->arg, i);
}
static inline void mail_progress_result(const mail_transport *t, size_t i, const mail_result *r)
{
    if (t->progress && t->progress->result) t->progress->result(t->progress->arg, i, r);
}

static inline int mail_transport_send(mail_transport *t, const mail_envelope *msgs, size_t n,
                                      mail_result *results, mc_error *err)
{
    return t->ops->send_batch(t, msgs, n, results, err);
}

/* Sends msgs[0..n) in batches of at most per_connection messages, one connection each,
 * filling every result. returns 0, or -1 when some batch could not connect (err names the
 * last failure; the remaining batches are still attempted). */
int mail_transport_send_all(mail_transport *t, const mail_envelope *msgs, size_t n,
                            size_t per_connection, mail_result *results, mc_error *err);

/* frees t (NULL is fine) */
static inline void mail_transport_free(mail_transport *t)
{
    if (t) t->ops->free(t);
}

/* returns the outcome for an SMTP reply code: 2xx sent, 5xx permanent, anything else
 * (4xx, 0 for no reply, nonsense) temporary */
mail_outcome mail_classify(int code);
/* returns "sent", "temporary" or "permanent" */
const char *mail_outcome_name(mail_outcome o);
/* fills r from a reply; text is copied and cut to fit (on a UTF-8 boundary) */
void mail_result_set(mail_result *r, int code, const char *enhanced, const char *text);

#endif
