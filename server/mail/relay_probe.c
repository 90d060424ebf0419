/* The relay test runs through libcurl's SMTP: with no recipient and the custom command NOOP,
 * libcurl greets (EHLO), upgrades (STARTTLS) and authenticates as configured, sends NOOP and
 * says QUIT when the handle is cleaned up, so no mail is ever sent. What stage failed comes
 * from its protocol trace: the last command it sent. */
#include "mail/relay_probe.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_global_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct {
    const char *stage; /* the stage of the last command sent; "connect" before the first */
    int code;          /* the first error reply, else the last reply */
    char line[512];
} probe_trace;

/* the stage a command line opens; NULL for what continues the current one (AUTH's
 * challenge answers, which are never looked at further: they carry the credentials) */
static const char *stage_of_command(const char *data, size_t size)
{
    static const struct {
        const char *command, *stage;
    } STAGES[] = {{"EHLO", "ehlo"}, {"HELO", "ehlo"}, {"STARTTLS", "tls"},
                  {"AUTH", "auth"}, {"NOOP", "noop"}, {"QUIT", "quit"}};
    for (size_t i = 0; i < sizeof STAGES / sizeof STAGES[0]; i++) {
        size_t n = strlen(STAGES[i].command);
        if (size >= n && !strncmp(data, STAGES[i].command, n)) return STAGES[i].stage;
    }
    return NULL;
}

static int trace_cb(CURL *curl, curl_infotype type, char *data, size_t size, void *arg)
{
    (void)curl;
    probe_trace *t = arg;
    if (t->code >= 400) return 0; /* the first error is the answer; QUIT's reply must not hide it */
    if (type == CURLINFO_HEADER_OUT) {
        const char *stage = stage_of_command(data, size);
        if (stage && strcmp(stage, "quit")) t->stage = stage;
        return 0;
    }
    if (type != CURLINFO_HEADER_IN || size < 3) return 0;
    if (data[0] < '2' || data[0] > '5' || data[1] < '0' || data[1] > '9' || data[2] < '0' ||
        data[2] > '9')
        return 0;
    /* a multi-line reply ("250-...") keeps its first line, the one that says the most */
    bool continues = size > 3 && data[3] == '-';
    int code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
    if (continues && t->code == code && t->line[0]) return 0;
    size_t n = size;
    while (n && (data[n - 1] == '\r' || data[n - 1] == '\n'))
        n--;
    if (n >= sizeof t->line) n = sizeof t->line - 1;
    memcpy(t->line, data, n);
    t->line[n] = '\0';
    if (continues) t->line[3] = ' ';
    t->code = code;
    return 0;
}

static size_t discard_cb(char *data, size_t size, size_t nitems, void *arg)
{
    (void)data;
    (void)arg;
    return size * nitems;
}

static bool is_tls_failure(CURLcode rc)
{
    return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
           rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ISSUER_ERROR;
}

static long since_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

void relay_probe(const relay_config *relay, relay_probe_result *out)
{
    pthread_once(&curl_once, curl_global_setup);
    memset(out, 0, sizeof *out);
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CURL *curl = curl_easy_init();
    if (!curl) {
        out->stage = "connect";
        snprintf(out->reply, sizeof out->reply, "libcurl could not start");
        return;
    }
    bool implicit = relay->tls == RELAY_TLS_IMPLICIT;
    char url[600], errbuf[CURL_ERROR_SIZE] = "";
    snprintf(url, sizeof url, "%s://%s:%u/%s", implicit ? "smtps" : "smtp", relay->host,
             relay->port, relay->helo ? relay->helo : "");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, implicit ? "smtps" : "smtp");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "NOOP");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_cb);
    long use_ssl = relay->tls == RELAY_TLS_STARTTLS        ? (long)CURLUSESSL_ALL
                   : relay->tls == RELAY_TLS_OPPORTUNISTIC ? (long)CURLUSESSL_TRY
                                                           : (long)CURLUSESSL_NONE;
    if (!implicit) curl_easy_setopt(curl, CURLOPT_USE_SSL, use_ssl);
    /* opportunistic TLS takes any certificate, as the sender's libesmtp transport does: it
     * only protects against passive reading */
    if (relay->tls == RELAY_TLS_OPPORTUNISTIC) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (relay->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, relay->ca_file);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)relay->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long)(relay->timeout_ms + 999) / 1000);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)relay->timeout_ms * 4);
    if (relay->username) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, relay->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, relay->password ? relay->password : "");
    }
    probe_trace trace = {"connect", 0, ""};
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, trace_cb);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &trace);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); /* feeds trace_cb; nothing is printed */
    CURLcode rc = curl_easy_perform(curl);
    probe_trace seen = trace; /* before QUIT, which cleanup sends */
    curl_easy_cleanup(curl);
    out->elapsed_ms = since_ms(&start);
    out->code = seen.code;
    if (rc == CURLE_OK) {
        out->ok = true;
        out->stage = "done";
        snprintf(out->reply, sizeof out->reply, "%s", seen.line);
        return;
    }
    if (is_tls_failure(rc))
        out->stage = "tls";
    else if (rc == CURLE_LOGIN_DENIED)
        out->stage = "auth";
    else
        out->stage = seen.stage;
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    /* the relay's own words when it refused something; libcurl's when it never answered */
    if (seen.code >= 400)
        snprintf(out->reply, sizeof out->reply, "%s", seen.line);
    else
        snprintf(out->reply, sizeof out->reply, "%s", why);
}
