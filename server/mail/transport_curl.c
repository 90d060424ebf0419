/* One easy handle per batch so libcurl's connection cache carries the session from one
 * message to the next. */
#include "mail/transport_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

typedef struct {
    mail_transport base;
    const relay_config *relay;
} curl_transport;

typedef struct {
    const char *p;
    size_t left;
} read_state;

/* the last reply line the relay sent for the current message; libcurl reports only the
 * code, and the text and enhanced status come from its protocol trace */
typedef struct {
    int code;
    char line[256];
    bool recipient_stage; /* the last command was RCPT TO or DATA */
} reply_capture;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_global_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t read_cb(char *buffer, size_t size, size_t nitems, void *arg)
{
    read_state *rs = arg;
    size_t room = size * nitems;
    size_t take = rs->left < room ? rs->left : room;
    memcpy(buffer, rs->p, take);
    rs->p += take;
    rs->left -= take;
    return take;
}

static int trace_cb(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)curl;
    reply_capture *r = arg;
    /* the first error reply is the answer; what follows (RSET, QUIT) must not replace it */
    if (r->code >= 400) return 0;
    if (type == CURLINFO_HEADER_OUT) {
        r->recipient_stage =
            (size >= 4 && (!strncmp(data, "RCPT", 4) || !strncmp(data, "DATA", 4)));
        return 0;
    }
    if (type != CURLINFO_HEADER_IN || size < 3) return 0;
    if (data[0] < '2' || data[0] > '5' || data[1] < '0' || data[1] > '9' || data[2] < '0' ||
        data[2] > '9')
        return 0;
    r->code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
    size_t n = size > 4 ? size - 4 : 0;
    while (n && (data[4 + n - 1] == '\r' || data[4 + n - 1] == '\n'))
        n--;
    if (n >= sizeof r->line) n = sizeof r->line - 1;
    memcpy(r->line, size > 4 ? data + 4 : "", n);
    r->line[n] = '\0';
    return 0;
}

/* fills r from the captured reply: "5.1.1 text" split into enhanced status and text */
static void captured_result(mail_result *r, const reply_capture *reply)
{
    char enhanced[16] = "";
    const char *text = reply->line;
    int a, b, c, used = 0;
    if (sscanf(text, "%1d.%3d.%3d%n", &a, &b, &c, &used) == 3 && used > 0 &&
        a == reply->code / 100 && (text[used] == ' ' || text[used] == '\0')) {
        snprintf(enhanced, sizeof enhanced, "%d.%d.%d", a, b, c);
        text += used;
        while (*text == ' ')
            text++;
    }
    mail_result_set(r, reply->code, enhanced, text);
}

static bool is_connect_failure(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_WEIRD_SERVER_REPLY;
}

static int curl_send_batch(mail_transport *t, const mail_envelope *msgs, size_t n,
                           mail_result *results, mc_error *err)
{
    const relay_config *relay = ((curl_transport *)t)->relay;
    pthread_once(&curl_once, curl_global_setup);
    CURL *curl = curl_easy_init();
    if (!curl) abort(); /* only fails when out of memory */
    char url[600], errbuf[CURL_ERROR_SIZE];
    snprintf(url, sizeof url, "smtps://%s:%u/%s", relay->host, relay->port, relay->helo);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtps");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)relay->timeout_ms);
    long per_reply = (long)(relay->timeout_ms + 999) / 1000;
    curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, per_reply);
    /* a bound on the whole message: connect, envelope and DATA, each within the timeout */
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)relay->timeout_ms * 4);
    if (relay->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, relay->ca_file);
    reply_capture reply = {0, "", false};
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, trace_cb);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); /* feeds trace_cb; nothing is printed */
    if (relay->username) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, relay->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, relay->password);
    }
    bool any_reply = false;
    CURLcode first_rc = CURLE_OK;
    char first_error[CURL_ERROR_SIZE] = "";
    for (size_t i = 0; i < n; i++) {
        /* libcurl sends a message in one call: it is handed over from the start */
        if (!mail_progress_handing_over(t, i)) {
            for (; i < n; i++)
                mail_result_set(&results[i], 0, "",
                                "kept back: its hand-over could not be recorded");
            break;
        }
        char from[300];
        snprintf(from, sizeof from, "<%.*s>", (int)msgs[i].envelope_from.n,
                 msgs[i].envelope_from.p);
        char to[300];
        snprintf(to, sizeof to, "<%.*s>", (int)msgs[i].recipient.n, msgs[i].recipient.p);
        struct curl_slist *rcpt = curl_slist_append(NULL, to);
        read_state rs = {msgs[i].data.p, msgs[i].data.n};
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(curl, CURLOPT_READDATA, &rs);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msgs[i].data.n);
        errbuf[0] = '\0';
        reply = (reply_capture){0, "", false};
        CURLcode rc = curl_easy_perform(curl);
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        curl_slist_free_all(rcpt);
        const char *text = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_OK && reply.code >= 200 && reply.code < 300) {
            captured_result(&results[i], &reply);
        } else if (rc == CURLE_OK) {
            mail_result_set(&results[i], code ? (int)code : 250, "", "accepted");
        } else if (code && reply.code == code) {
            captured_result(&results[i], &reply);
        } else {
            mail_result_set(&results[i], (int)code, "", text);
        }
        /* a 2xx seen before a later failure is not a delivery */
        if (rc != CURLE_OK && results[i].outcome == MAIL_SENT) results[i].outcome = MAIL_TEMPORARY;
        /* libcurl took the whole message and no final reply came (the last one is DATA's
         * 354, or none): the peer may have kept it */
        results[i].maybe_delivered = rc != CURLE_OK && rs.left == 0 &&
                                     results[i].outcome == MAIL_TEMPORARY &&
                                     (code == 0 || code == 354);
        mail_progress_result(t, i, &results[i]);
        if (code) any_reply = true;
        if (i == 0 && rc != CURLE_OK) {
            first_rc = rc;
            snprintf(first_error, sizeof first_error, "%s", text);
        }
    }
    curl_easy_cleanup(curl);
    if (!any_reply && is_connect_failure(first_rc))
        return mc_error_set(err, 503, "relay_unreachable", relay->name, "relay %s (%s:%u): %s",
                            relay->name, relay->host, relay->port, first_error);
    return 0;
}

static void curl_transport_free(mail_transport *t)
{
    free(t);
}

static const mail_transport_ops CURL_OPS = {"curl", curl_send_batch, curl_transport_free};

mail_transport *transport_curl_new(const relay_config *relay)
{
    curl_transport *t = xcalloc(1, sizeof *t);
    t->base.ops = &CURL_OPS;
    t->relay = relay;
    return &t->base;
}
