/* A small MIME walker, enough for reports: headers are unfolded, multiparts are split on their
 * boundary and walked recursively, base64 parts are decoded. Nothing is allocated beyond the
 * decoded parts, and input of any size or shape is read without reading past it. */
#include "track/bounce_parse.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

#define MAX_DEPTH 5

typedef struct {
    str_t verp_prefix;
    bounce_report *r;
    bool dsn, arf;      /* a report part of that kind was read */
    bool failed;        /* a DSN recipient failed or was delayed */
    bool token_in_body; /* our token appears below the top-level headers */
    bool not_complaint; /* an ARF report of Feedback-Type not-spam */
    bool report;        /* a multipart/report: its fields name the recipient, not its text */
    const char *kind;   /* from the report's fields */
    int depth;
} walk_state;

static bool header_value(str_t headers, const char *name, buf_t *out);

/* Splits an entity at its first empty line. */
static void split_entity(str_t e, str_t *headers, str_t *body)
{
    for (size_t i = 0; i < e.n; i++) {
        if (e.p[i] != '\n') continue;
        size_t j = i + 1;
        if (j < e.n && e.p[j] == '\r') j++;
        if (j < e.n && e.p[j] == '\n') {
            *headers = str_make(e.p, i + 1);
            *body = str_make(e.p + j + 1, e.n - j - 1);
            return;
        }
        if (i == 0 || (i == 1 && e.p[0] == '\r')) { /* no headers at all */
            *headers = STR_NULL;
            *body = str_make(e.p + i + 1, e.n - i - 1);
            return;
        }
    }
    *headers = e;
    *body = STR_NULL;
}

str_t bounce_mail_headers(str_t raw)
{
    str_t headers, body;
    split_entity(raw, &headers, &body);
    return headers;
}

bool bounce_mail_header(str_t headers, const char *name, buf_t *out)
{
    return header_value(headers, name, out);
}

static bool header_value(str_t headers, const char *name, buf_t *out)
{
    size_t len = strlen(name);
    buf_reset(out);
    const char *p = headers.p, *end = headers.p + headers.n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if ((size_t)(line_end - p) > len && p[len] == ':' && !strncasecmp(p, name, len)) {
            const char *v = p + len + 1;
            for (;;) {
                const char *stop = line_end;
                if (stop > v && stop[-1] == '\r') stop--;
                buf_append(out, v, (size_t)(stop - v));
                if (!eol || eol + 1 >= end || (eol[1] != ' ' && eol[1] != '\t')) break;
                v = eol + 1;
                eol = memchr(v, '\n', (size_t)(end - v));
                line_end = eol ? eol : end;
            }
            return true;
        }
        p = eol ? eol + 1 : end;
    }
    return false;
}

/* returns the value of parameter name in a Content-Type value (borrowed from value), quotes
 * removed, or STR_NULL */
static str_t content_param(str_t value, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i + len < value.n; i++) {
        if (value.p[i] != ';') continue;
        size_t j = i + 1;
        while (j < value.n && (value.p[j] == ' ' || value.p[j] == '\t'))
            j++;
        if (j + len >= value.n || strncasecmp(value.p + j, name, len) || value.p[j + len] != '=')
            continue;
        j += len + 1;
        size_t start = j;
        if (j < value.n && value.p[j] == '"') {
            start = ++j;
            while (j < value.n && value.p[j] != '"')
                j++;
        } else {
            while (j < value.n && value.p[j] != ';' && value.p[j] != ' ' && value.p[j] != '\t')
                j++;
        }
        return str_make(value.p + start, j - start);
    }
    return STR_NULL;
}

static bool type_is(str_t content_type, const char *type)
{
    size_t len = strlen(type);
    return content_type.n >= len && !strncasecmp(content_type.p, type, len) &&
           (content_type.n == len || content_type.p[len] == ';' || content_type.p[len] == ' ');
}

static str_t trimmed(str_t text)
{
    return str_trim(text);
}

const char *bounce_kind_of_status(str_t text, int *code)
{
    *code = 0;
    const char *kind = NULL;
    for (size_t i = 0; i < text.n; i++) {
        char c = text.p[i];
        if ((c != '4' && c != '5') ||
            (i > 0 && ((text.p[i - 1] >= '0' && text.p[i - 1] <= '9') || text.p[i - 1] == '.')))
            continue;
        /* enhanced status: 5.1.1 */
        if (i + 4 < text.n && text.p[i + 1] == '.' && text.p[i + 2] >= '0' &&
            text.p[i + 2] <= '9') {
            size_t j = i + 3;
            while (j < text.n && text.p[j] >= '0' && text.p[j] <= '9')
                j++;
            if (j < text.n && text.p[j] == '.' && j + 1 < text.n && text.p[j + 1] >= '0' &&
                text.p[j + 1] <= '9') {
                if (!kind) kind = c == '5' ? "hard" : "soft";
                continue;
            }
        }
        /* reply code: 550 followed by a space or '-' */
        if (i + 3 < text.n && text.p[i + 1] >= '0' && text.p[i + 1] <= '9' &&
            text.p[i + 2] >= '0' && text.p[i + 2] <= '9' &&
            (text.p[i + 3] == ' ' || text.p[i + 3] == '-')) {
            if (!*code)
                *code = (c - '0') * 100 + (text.p[i + 1] - '0') * 10 + (text.p[i + 2] - '0');
            if (!kind) kind = c == '5' ? "hard" : "soft";
        }
    }
    return kind;
}

/* One group of per-recipient fields of a delivery-status part. */
static void dsn_recipient(walk_state *s, str_t group, buf_t *v)
{
    bounce_report *r = s->r;
    if (!header_value(group, "Action", v)) return;
    str_t action = trimmed(buf_view(v));
    bool failed = str_eq_ascii_nocase(action, STR_LIT("failed"));
    bool delayed = str_eq_ascii_nocase(action, STR_LIT("delayed"));
    if (!failed && !delayed) return;
    s->failed = true;
    int code = 0;
    const char *kind = NULL;
    if (header_value(group, "Status", v)) {
        kind = bounce_kind_of_status(buf_view(v), &code);
        bounce_report_add_reason(r, buf_view(v));
    }
    if (header_value(group, "Diagnostic-Code", v)) {
        int diag_code = 0;
        const char *diag_kind = bounce_kind_of_status(buf_view(v), &diag_code);
        if (!kind) kind = diag_kind;
        if (!r->smtp_code) r->smtp_code = diag_code;
        bounce_report_add_reason(r, buf_view(v));
    }
    /* a delay is never final; a failure without a status is taken as permanent */
    if (delayed) kind = "soft";
    if (!kind) kind = "hard";
    if (!s->kind || !strcmp(kind, "hard")) s->kind = kind;
    if (header_value(group, "Final-Recipient", v)) bounce_report_add_address(r, buf_view(v));
    if (header_value(group, "Original-Recipient", v)) bounce_report_add_address(r, buf_view(v));
}

/* The fields of a message/delivery-status part: one group for the message, then one per
 * recipient, separated by empty lines. */
static void read_delivery_status(walk_state *s, str_t body)
{
    s->dsn = true;
    buf_t v = BUF_INIT;
    const char *p = body.p, *end = body.p + body.n;
    while (p < end) {
        str_t group, rest;
        split_entity(str_make(p, (size_t)(end - p)), &group, &rest);
        if (group.n) dsn_recipient(s, group, &v);
        if (!rest.p || rest.p <= p) break;
        p = rest.p;
    }
    buf_free(&v);
}

static void read_feedback_report(walk_state *s, str_t body)
{
    s->arf = true;
    buf_t v = BUF_INIT;
    /* the fields are one group, but blank lines are tolerated */
    str_t all = body;
    if (header_value(all, "Feedback-Type", &v)) {
        str_t type = trimmed(buf_view(&v));
        if (str_eq_ascii_nocase(type, STR_LIT("not-spam"))) s->not_complaint = true;
        buf_t reason = BUF_INIT;
        buf_appendf(&reason, "feedback-type: %.*s", (int)type.n, type.p);
        bounce_report_add_reason(s->r, buf_view(&reason));
        buf_free(&reason);
    }
    if (header_value(all, "Original-Rcpt-To", &v)) bounce_report_add_address(s->r, buf_view(&v));
    if (header_value(all, "Original-Mail-From", &v))
        bounce_report_find_token(s->r, buf_view(&v), s->verp_prefix);
    buf_free(&v);
}

/* The original message (or its headers) returned in a report: its Message-ID and its
 * recipient. */
static void read_returned(walk_state *s, str_t entity)
{
    str_t headers, body;
    split_entity(entity, &headers, &body);
    buf_t v = BUF_INIT;
    if (!s->r->token[0] && header_value(headers, "Message-ID", &v))
        bounce_report_find_token(s->r, buf_view(&v), s->verp_prefix);
    if (!s->r->token[0] && header_value(headers, "Return-Path", &v))
        bounce_report_find_token(s->r, buf_view(&v), s->verp_prefix);
    if (header_value(headers, "To", &v)) {
        /* the address in angle brackets, or the whole value */
        str_t to = buf_view(&v);
        const char *lt = memchr(to.p, '<', to.n);
        if (lt) to = str_make(lt + 1, to.n - (size_t)(lt + 1 - to.p));
        const char *gt = memchr(to.p, '>', to.n);
        if (gt) to.n = (size_t)(gt - to.p);
        bounce_report_add_address(s->r, to);
    }
    buf_free(&v);
}

/* Adds every word of text that looks like an address to the report's addresses (after those
 * the report names itself), and the quoted To: header of an original message. */
static void scan_plain(walk_state *s, str_t text)
{
    if (bounce_report_find_token(s->r, text, s->verp_prefix)) s->token_in_body = true;
    if (s->report) return;
    /* quoted headers: "To: Ana <ana@example.org>" at the start of a line */
    for (size_t i = 0; i + 3 < text.n; i++) {
        if ((i == 0 || text.p[i - 1] == '\n') && !strncasecmp(text.p + i, "To:", 3)) {
            const char *eol = memchr(text.p + i, '\n', text.n - i);
            read_returned(
                s, str_make(text.p + i, (size_t)((eol ? eol : text.p + text.n) - (text.p + i))));
        }
    }
    for (size_t i = 0; i < text.n; i++) {
        if (text.p[i] != '@') continue;
        size_t a = i, b = i + 1;
        while (a > 0 && (unsigned char)text.p[a - 1] > ' ' &&
               !strchr("<>\"'(),;:[]", text.p[a - 1]))
            a--;
        while (b < text.n && (unsigned char)text.p[b] > ' ' && !strchr("<>\"'(),;:[]", text.p[b]))
            b++;
        str_t word = str_make(text.p + a, b - a);
        /* our own addresses (VERP, Message-IDs) are not the recipient */
        bounce_report probe = {0};
        if (!bounce_report_find_token(
                &probe, str_make(word.p > text.p ? word.p - 1 : word.p, word.n + (word.p > text.p)),
                s->verp_prefix))
            bounce_report_add_address(s->r, word);
        i = b;
    }
}

static void walk(walk_state *s, str_t entity);

static void walk_multipart(walk_state *s, str_t body, str_t boundary)
{
    if (!boundary.n || boundary.n > 200) return;
    char delim[204];
    delim[0] = '-';
    delim[1] = '-';
    memcpy(delim + 2, boundary.p, boundary.n);
    size_t dn = boundary.n + 2;
    const char *p = body.p, *end = body.p + body.n;
    const char *part = NULL;
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), delim, dn);
        if (!hit) break;
        bool at_line_start = hit == body.p || hit[-1] == '\n';
        if (!at_line_start) {
            p = hit + dn;
            continue;
        }
        if (part) {
            const char *stop = hit;
            if (stop > part && stop[-1] == '\n') stop--;
            if (stop > part && stop[-1] == '\r') stop--;
            walk(s, str_make(part, (size_t)(stop - part)));
        }
        const char *after = hit + dn;
        if (end - after >= 2 && after[0] == '-' && after[1] == '-') return;
        const char *eol = memchr(after, '\n', (size_t)(end - after));
        if (!eol) return;
        part = eol + 1;
        p = part;
    }
}

static void walk(walk_state *s, str_t entity)
{
    if (s->depth >= MAX_DEPTH) return;
    s->depth++;
    str_t headers, body;
    split_entity(entity, &headers, &body);
    buf_t ct = BUF_INIT, cte = BUF_INIT, decoded = BUF_INIT;
    if (!header_value(headers, "Content-Type", &ct)) buf_append_cstr(&ct, "text/plain");
    str_t type = trimmed(buf_view(&ct));
    if (header_value(headers, "Content-Transfer-Encoding", &cte) &&
        str_eq_ascii_nocase(trimmed(buf_view(&cte)), STR_LIT("base64")) && body.n) {
        buf_reserve(&decoded, body.n);
        size_t len = 0;
        if (sodium_base642bin((unsigned char *)decoded.p, body.n, body.p, body.n, " \r\n\t", &len,
                              NULL, sodium_base64_VARIANT_ORIGINAL) == 0) {
            decoded.n = len;
            body = buf_view(&decoded);
        }
    }
    if (type_is(type, "multipart/report")) s->report = true;
    if (type_is(type, "multipart/report") || type_is(type, "multipart/mixed") ||
        type_is(type, "multipart/alternative") || type_is(type, "multipart/related")) {
        walk_multipart(s, body, content_param(type, "boundary"));
    } else if (type_is(type, "message/delivery-status") ||
               type_is(type, "message/global-delivery-status")) {
        read_delivery_status(s, body);
    } else if (type_is(type, "message/feedback-report")) {
        read_feedback_report(s, body);
    } else if (type_is(type, "message/rfc822") || type_is(type, "text/rfc822-headers") ||
               type_is(type, "message/rfc822-headers") || type_is(type, "message/global") ||
               type_is(type, "message/global-headers")) {
        read_returned(s, body);
        if (bounce_report_find_token(s->r, body, s->verp_prefix)) s->token_in_body = true;
    } else if (type_is(type, "text/plain") || type_is(type, "text/html")) {
        scan_plain(s, body);
    }
    buf_free(&ct);
    buf_free(&cte);
    buf_free(&decoded);
    s->depth--;
}

bounce_mail_type bounce_parse_mail(str_t raw, str_t verp_prefix, bounce_report *r)
{
    memset(r, 0, sizeof *r);
    walk_state s = {.verp_prefix = verp_prefix, .r = r};
    str_t headers, body;
    split_entity(raw, &headers, &body);
    walk(&s, raw);
    /* a report that returned nothing of ours may still have come to our VERP address */
    if ((s.dsn || s.arf) && !r->token[0]) {
        buf_t v = BUF_INIT;
        static const char *const fields[] = {"To", "Delivered-To", "X-Original-To", NULL};
        for (int i = 0; fields[i] && !r->token[0]; i++)
            if (header_value(headers, fields[i], &v))
                bounce_report_find_token(r, buf_view(&v), verp_prefix);
        buf_free(&v);
    }
    if (s.arf) {
        if (s.not_complaint) return BOUNCE_MAIL_OTHER;
        strcpy(r->kind, "complaint");
        return BOUNCE_MAIL_ARF;
    }
    if (s.dsn) {
        if (!s.failed) return BOUNCE_MAIL_OTHER;
        strcpy(r->kind, s.kind ? s.kind : "hard");
        return BOUNCE_MAIL_DSN;
    }
    if (!s.token_in_body) return BOUNCE_MAIL_OTHER;
    /* a provider's own wording: a 5xx or 5.x.x anywhere is permanent, else a retry may work */
    int code = 0;
    const char *kind = bounce_kind_of_status(body, &code);
    strcpy(r->kind, kind ? kind : "soft");
    r->smtp_code = code;
    buf_t v = BUF_INIT;
    if (header_value(headers, "Subject", &v)) bounce_report_add_reason(r, buf_view(&v));
    buf_free(&v);
    return BOUNCE_MAIL_PLAIN;
}
