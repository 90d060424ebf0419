/* libesmtp reports success even when recipients were refused, so every result is read
 * from the per-recipient, reverse-path and transfer statuses; when the peer said nothing
 * at all (greeting refused, dropped, stalled), the last reply seen by the protocol monitor
 * or the library's error explains why. */
#include "mail/transport_esmtp.h"

#include <arpa/inet.h>
#include <auth-client.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>
/* before libesmtp.h, which declares smtp_starttls_set_ctx only when SSL_CTX is known */
#include <openssl/ssl.h>
#include <libesmtp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"

typedef struct {
    mail_transport base;
    const relay_config *relay;
    SSL_CTX *tls;            /* for STARTTLS; NULL when tls = off */
    struct timespec last_ok; /* end of the last session that reached the relay */
} esmtp_transport;

/* libesmtp's connect() has no timeout: towards a host that drops SYNs it waits for the
 * kernel's retries, over two minutes whatever `timeout` says. So before a session that does
 * not follow a recent good one, we open (and close) a TCP connection ourselves within the
 * timeout; a relay that cannot be reached then fails fast and backs off. */
#define PROBE_AFTER_IDLE_SECONDS 30

/* the last error reply (4xx or 5xx) the peer sent in this session: a refused greeting or
 * AUTH, or a 421 before closing, explains messages that never got a reply of their own */
typedef struct {
    int code;
    char text[256];
    bool any;            /* any reply at all */
    unsigned port;       /* the relay's port, to find the session's socket */
    bool socket_tweaked; /* TCP_NODELAY set for this session */
} last_reply;

static pthread_once_t esmtp_once = PTHREAD_ONCE_INIT;

static void esmtp_global_init(void)
{
    /* a peer closing the socket must be an error result, never a dead process */
    signal(SIGPIPE, SIG_IGN);
    auth_client_init();
}

/* What the message and event callbacks know of one message. */
typedef struct {
    const mail_envelope *envelope;
    const mail_transport *transport; /* whose listener hears of the message's progress */
    size_t index;                    /* in the send call */
    bool data_ended; /* libesmtp took the last of the content: the final dot follows */
    bool kept_back;  /* the listener refused the hand-over: the session ended before the dot */
} message_state;

static const char *message_cb(void **ctx, int *len, void *arg)
{
    message_state *st = arg;
    if (!*ctx) *ctx = xcalloc(1, sizeof(int)); /* libesmtp releases it with free() */
    int *sent = *ctx;
    if (!len) { /* rewind */
        *sent = 0;
        return NULL;
    }
    if (*sent) {
        *len = 0;
        if (!st->data_ended && !st->kept_back &&
            !mail_progress_handing_over(st->transport, st->index)) {
            /* libesmtp ends the session without the final dot when the source fails with
             * errno set: the peer never accepts this message */
            st->kept_back = true;
            errno = ECANCELED;
            return NULL;
        }
        st->data_ended = !st->kept_back;
        /* libesmtp reads errno when the source ends: the listener's database calls may have
         * left EAGAIN there, which would end a healthy session before the dot */
        errno = 0;
        return NULL;
    }
    *sent = 1;
    mail_progress_starting(st->transport, st->index);
    errno = 0;
    *len = (int)st->envelope->data.n;
    return st->envelope->data.p;
}

/* libesmtp writes a message in pieces of a few KB and leaves Nagle's algorithm on, so the
 * piece after the first waits for the peer's delayed ACK (40 ms on Linux): at most 25
 * messages per second per connection. It does not expose its socket, so once the greeting
 * has arrived we give TCP_NODELAY to this process's TCP sockets connected to the relay's
 * port. That is idempotent, and other sessions to the same relay want it as well. */
static void disable_nagle_towards(unsigned port)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || fd < 3 || fd == dirfd(d)) continue;
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int type = 0;
        socklen_t type_len = sizeof type;
        if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &type_len) < 0 || type != SOCK_STREAM ||
            getpeername((int)fd, (struct sockaddr *)&peer, &len) < 0)
            continue;
        unsigned peer_port =
            peer.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&peer)->sin_port)
            : peer.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&peer)->sin6_port)
                                         : 0;
        if (peer_port != port) continue;
        int one = 1;
        setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    closedir(d);
}

static void monitor_cb(const char *buf, int len, int writing, void *arg)
{
    if (writing != SMTP_CB_READING || len < 4) return;
    last_reply *r = arg;
    if (!r->socket_tweaked) {
        r->socket_tweaked = true;
        disable_nagle_towards(r->port);
    }
    /* a read may hold several lines: keep the last one with a code */
    int start = 0;
    for (int i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            int n = i - start;
            const char *line = buf + start;
            if (n >= 3 && line[0] >= '1' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
                line[2] >= '0' && line[2] <= '9') {
                r->any = true;
            }
            if (n >= 3 && line[0] >= '4' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
                line[2] >= '0' && line[2] <= '9') {
                r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
                int t = n > 4 ? n - 4 : 0;
                while (t > 0 && (line[4 + t - 1] == '\r' || line[4 + t - 1] == '\n'))
                    t--;
                if (t > (int)sizeof r->text - 1) t = (int)sizeof r->text - 1;
                memcpy(r->text, n > 4 ? line + 4 : "", (size_t)t);
                r->text[t] = '\0';
            }
            start = i + 1;
        }
    }
}

static int auth_interact(auth_client_request_t request, char **result, int fields, void *arg)
{
    const relay_config *relay = arg;
    for (int i = 0; i < fields; i++) {
        if (request[i].flags & AUTH_USER)
            result[i] = relay->username;
        else if (request[i].flags & AUTH_PASS)
            result[i] = relay->password;
        else
            result[i] = NULL;
    }
    return 1;
}

/* splits "5.1.1 text" into enhanced status and text when the status's class matches the
 * reply code; peers that do not announce ENHANCEDSTATUSCODES often send one anyway */
static const char *split_enhanced(int code, const char *text, char *enhanced, size_t size)
{
    int a, b, c, used = 0;
    enhanced[0] = '\0';
    if (sscanf(text, "%1d.%3d.%3d%n", &a, &b, &c, &used) == 3 && used > 0 && a == code / 100 &&
        (text[used] == ' ' || text[used] == '\0')) {
        snprintf(enhanced, size, "%d.%d.%d", a, b, c);
        text += used;
        while (*text == ' ')
            text++;
    }
    return text;
}

static void status_result(mail_result *r, const smtp_status_t *s);
static void no_reply_result(mail_result *r, const last_reply *last, bool session_level,
                            const char *why);

/* The result of message m to recipient rcpt from what the peer answered; when it answered
 * nothing for it, session_level, why and last explain the silence. */
static void message_result(mail_result *r, smtp_message_t m, smtp_recipient_t rcpt,
                           const message_state *st, const last_reply *last, bool session_level,
                           const char *why)
{
    const smtp_status_t *rp = smtp_reverse_path_status(m);
    const smtp_status_t *rs = smtp_recipient_status(rcpt);
    const smtp_status_t *ms = smtp_message_transfer_status(m);
    if (rp && rp->code && (rp->code < 200 || rp->code >= 300)) {
        /* MAIL FROM refused (authentication required or failed, sender policy): the
         * relay or our configuration is at fault, not the recipient, so never a bounce */
        status_result(r, rp);
        r->outcome = MAIL_TEMPORARY;
    } else if (rs && rs->code && (rs->code < 200 || rs->code >= 300))
        status_result(r, rs);
    else if (ms && ms->code)
        status_result(r, ms);
    else {
        no_reply_result(r, last, session_level, why);
        r->maybe_delivered = st->data_ended;
    }
}

/* What the event callback reads. */
typedef struct {
    const relay_config *relay;
    const mail_transport *transport;
    smtp_recipient_t *recipients; /* per message of the session */
    mail_result *results;
    const last_reply *last;
} session_events;

/* Tells the transport's listener the result of a message once the peer answered its data
 * (the message callback tells it when the data starts and ends). libesmtp also asks the application
 * about certificates that did not verify: with tls = opportunistic, TLS protects against passive
 * listeners and any certificate is accepted, as receiving MTAs do; with tls = starttls the
 * certificate must verify and match. */
static void event_cb(smtp_session_t session, int event_no, void *arg, ...)
{
    (void)session;
    const session_events *events = arg;
    const relay_config *relay = events->relay;
    int *ok = NULL;
    va_list ap;
    va_start(ap, arg);
    if (event_no == SMTP_EV_MESSAGESENT) {
        smtp_message_t m = va_arg(ap, smtp_message_t);
        const message_state *st = smtp_message_get_application_data(m);
        if (st) {
            mail_result *r = &events->results[st->index];
            message_result(r, m, events->recipients[st->index], st, events->last, false, "");
            mail_progress_result(events->transport, st->index, r);
        }
    } else if (event_no == SMTP_EV_INVALID_PEER_CERTIFICATE) {
        (void)va_arg(ap, long); /* the verification result */
        ok = va_arg(ap, int *);
    } else if (event_no == SMTP_EV_NO_PEER_CERTIFICATE ||
               event_no == SMTP_EV_WRONG_PEER_CERTIFICATE) {
        ok = va_arg(ap, int *);
    }
    va_end(ap);
    if (ok && relay->tls == RELAY_TLS_OPPORTUNISTIC) *ok = 1;
}

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* returns 0 when a TCP connection to the relay opens within its timeout, else -1 with why */
static int probe_connect(const relay_config *relay, char *why, size_t why_size)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *addresses = NULL;
    char service[8];
    snprintf(service, sizeof service, "%u", relay->port);
    int rc = getaddrinfo(relay->host, service, &hints, &addresses);
    if (rc != 0) {
        snprintf(why, why_size, "cannot resolve %s: %s", relay->host, gai_strerror(rc));
        return -1;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    snprintf(why, why_size, "no address for %s", relay->host);
    int result = -1;
    for (struct addrinfo *ai = addresses; ai && result < 0; ai = ai->ai_next) {
        int left_ms = (int)relay->timeout_ms - (int)(seconds_since(&start) * 1000);
        if (left_ms <= 0) break;
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            result = 0;
        } else if (errno != EINPROGRESS) {
            snprintf(why, why_size, "cannot connect: %s", strerror(errno));
        } else {
            struct pollfd p = {fd, POLLOUT, 0};
            int n;
            while ((n = poll(&p, 1, left_ms)) < 0 && errno == EINTR) {
            }
            int error = 0;
            socklen_t len = sizeof error;
            if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0)
                result = 0;
            else if (n == 1)
                snprintf(why, why_size, "cannot connect: %s", strerror(error));
            else
                snprintf(why, why_size, "no connection within %u ms", relay->timeout_ms);
        }
        close(fd);
    }
    freeaddrinfo(addresses);
    return result;
}

static void status_result(mail_result *r, const smtp_status_t *s)
{
    char enhanced[16];
    const char *text = split_enhanced(s->code, s->text ? s->text : "", enhanced, sizeof enhanced);
    if (!enhanced[0] && s->enh_class > 0)
        snprintf(enhanced, sizeof enhanced, "%d.%d.%d", s->enh_class, s->enh_subject,
                 s->enh_detail);
    mail_result_set(r, s->code, enhanced, text);
}

/* the result of a message the peer never answered for */
/* The result of a message the peer never answered for. The last reply explains it when
 * it ended the session (421) or when the session never reached a message (a refused
 * greeting): either way a relay problem, so temporary whatever its class. */
static void no_reply_result(mail_result *r, const last_reply *last, bool session_level,
                            const char *why)
{
    if (last->code >= 400 && (last->code == 421 || session_level)) {
        char enhanced[16];
        const char *text = split_enhanced(last->code, last->text, enhanced, sizeof enhanced);
        mail_result_set(r, last->code, enhanced, text);
        r->outcome = MAIL_TEMPORARY;
        return;
    }
    mail_result_set(r, 0, "", why);
}

static int esmtp_send_batch(mail_transport *t, const mail_envelope *msgs, size_t n,
                            mail_result *results, mc_error *err)
{
    esmtp_transport *et = (esmtp_transport *)t;
    const relay_config *relay = et->relay;
    pthread_once(&esmtp_once, esmtp_global_init);
    if (n == 0) return 0;

    char why_not[200];
    if ((et->last_ok.tv_sec == 0 || seconds_since(&et->last_ok) > PROBE_AFTER_IDLE_SECONDS) &&
        probe_connect(relay, why_not, sizeof why_not) < 0) {
        for (size_t i = 0; i < n; i++)
            mail_result_set(&results[i], 0, "", why_not);
        return mc_error_set(err, 503, "relay_unreachable", relay->name, "relay %s (%s:%u): %s",
                            relay->name, relay->host, relay->port, why_not);
    }

    arena_t arena = ARENA_INIT;
    smtp_session_t session = smtp_create_session();
    char server[300];
    snprintf(server, sizeof server, "%s:%u", relay->host, relay->port);
    smtp_set_server(session, server);
    smtp_set_hostname(session, relay->helo);
    /* libesmtp's timeouts are milliseconds; the flag allows ones below RFC 5321's minutes */
    long timeout = (long)relay->timeout_ms;
    smtp_set_timeout(session, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
    smtp_set_timeout(session, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
    smtp_set_timeout(session, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
    smtp_set_timeout(session, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
    smtp_set_timeout(session, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, timeout);
    if (et->tls) smtp_starttls_set_ctx(session, et->tls);
    session_events events = {relay, t, NULL, results, NULL};
    smtp_set_eventcb(session, event_cb, &events);
    smtp_starttls_enable(session, relay->tls == RELAY_TLS_STARTTLS        ? Starttls_REQUIRED
                                  : relay->tls == RELAY_TLS_OPPORTUNISTIC ? Starttls_ENABLED
                                                                          : Starttls_DISABLED);
    auth_context_t auth = NULL;
    if (relay->username && relay->username[0]) {
        auth = auth_create_context();
        /* allow PLAIN and LOGIN (they send the password as is: use TLS) */
        auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(auth, auth_interact, (void *)relay);
        smtp_auth_set_context(session, auth);
    }
    last_reply last = {0, "", false, relay->port, false};
    smtp_set_monitorcb(session, monitor_cb, &last, 0);
    events.last = &last;

    smtp_message_t *messages = arena_alloc(&arena, n * sizeof *messages);
    smtp_recipient_t *recipients = arena_alloc(&arena, n * sizeof *recipients);
    message_state *states = arena_alloc(&arena, n * sizeof *states);
    events.recipients = recipients;
    for (size_t i = 0; i < n; i++) {
        states[i] = (message_state){&msgs[i], t, i, false, false};
        messages[i] = smtp_add_message(session);
        smtp_message_set_application_data_release(messages[i], &states[i], NULL); /* the arena's */
        smtp_set_reverse_path(
            messages[i], arena_strndup(&arena, msgs[i].envelope_from.p, msgs[i].envelope_from.n));
        recipients[i] = smtp_add_recipient(
            messages[i], arena_strndup(&arena, msgs[i].recipient.p, msgs[i].recipient.n));
        smtp_set_messagecb(messages[i], message_cb, &states[i]);
    }

    int ok = smtp_start_session(session);
    char why[200] = "";
    if (!ok) smtp_strerror(smtp_errno(), why, sizeof why);
    if (!why[0]) snprintf(why, sizeof why, "the relay closed the session before this message");
    bool any_reply = last.any;
    bool session_level = true; /* no message got as far as MAIL FROM */
    for (size_t i = 0; i < n && session_level; i++) {
        const smtp_status_t *rp = smtp_reverse_path_status(messages[i]);
        if (rp && rp->code) session_level = false;
    }

    /* libesmtp ends the session after a refused AUTH without showing the reply */
    if (ok && session_level && auth)
        snprintf(why, sizeof why,
                 "the relay ended the session before MAIL FROM: "
                 "authentication refused or impossible");

    for (size_t i = 0; i < n; i++) {
        if (states[i].kept_back)
            mail_result_set(&results[i], 0, "", "kept back: its hand-over could not be recorded");
        else
            message_result(&results[i], messages[i], recipients[i], &states[i], &last,
                           session_level, why);
    }
    smtp_destroy_session(session);
    if (auth) auth_destroy_context(auth);
    arena_free(&arena);
    if (any_reply) clock_gettime(CLOCK_MONOTONIC, &et->last_ok);
    if (!ok && !any_reply)
        return mc_error_set(err, 503, "relay_unreachable", relay->name, "relay %s (%s): %s",
                            relay->name, server, why);
    return 0;
}

static void esmtp_free(mail_transport *t)
{
    SSL_CTX_free(((esmtp_transport *)t)->tls);
    free(t);
}

/* libesmtp's own TLS context trusts only a CA file in the user's home directory: give it
 * one that verifies the relay against the system's CAs (or ca_file). libesmtp then checks
 * the certificate's names against the relay's host itself. */
static SSL_CTX *make_tls_context(const relay_config *relay)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) abort(); /* only fails when out of memory */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* libesmtp reads a non-blocking socket and takes an SSL_read that returns no data (a
     * TLS 1.3 session ticket arriving after the handshake) for a dead connection: seen as
     * sessions that quit right after EHLO. TLS 1.2 has no post-handshake messages. */
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, relay->tls == RELAY_TLS_STARTTLS ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                       NULL);
    if (relay->ca_file)
        SSL_CTX_load_verify_locations(ctx, relay->ca_file, NULL);
    else
        SSL_CTX_set_default_verify_paths(ctx);
    return ctx;
}

static const mail_transport_ops ESMTP_OPS = {"esmtp", esmtp_send_batch, esmtp_free};

mail_transport *transport_esmtp_new(const relay_config *relay)
{
    esmtp_transport *t = xcalloc(1, sizeof *t);
    t->base.ops = &ESMTP_OPS;
    t->relay = relay;
    if (relay->tls != RELAY_TLS_OFF) t->tls = make_tls_context(relay);
    return &t->base;
}
