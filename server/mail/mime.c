/* mime_build validates every caller-supplied value before writing a byte of it, then
 * writes headers and parts in one pass into the caller's buffer. Boundaries start with
 * "=_", a sequence quoted-printable and base64 output can never contain, so no body can
 * end a part early. */
#include "mail/mime.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "mail/encoding.h"
#include "mail/header_encode.h"
#include "mail/html_to_text.h"

static const char *const BLOCKED_HEADERS[] = {"from",
                                              "to",
                                              "cc",
                                              "bcc",
                                              "sender",
                                              "reply-to",
                                              "subject",
                                              "date",
                                              "message-id",
                                              "mime-version",
                                              "dkim-signature",
                                              "domainkey-signature",
                                              "arc-seal",
                                              "arc-message-signature",
                                              "arc-authentication-results",
                                              "authentication-results",
                                              "return-path",
                                              "received",
                                              "list-id",
                                              "list-unsubscribe",
                                              "list-unsubscribe-post",
                                              "feedback-id",
                                              "in-reply-to",
                                              "references",
                                              "resent-from",
                                              "resent-to",
                                              "resent-date",
                                              "resent-sender",
                                              "resent-message-id",
                                              "resent-cc",
                                              "resent-bcc",
                                              "delivered-to",
                                              "x-original-to",
                                              NULL};

bool mime_header_blocked(str_t name)
{
    if (name.n >= 8 && str_eq_ascii_nocase(str_make(name.p, 8), STR_LIT("content-"))) return true;
    if (name.n >= 7 && str_eq_ascii_nocase(str_make(name.p, 7), STR_LIT("resent-"))) return true;
    if (name.n >= 5 && str_eq_ascii_nocase(str_make(name.p, 5), STR_LIT("list-"))) return true;
    for (const char *const *b = BLOCKED_HEADERS; *b; b++)
        if (str_eq_ascii_nocase(name, str_from_cstr(*b))) return true;
    return false;
}

void mime_append_date(buf_t *out, time_t t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_appendf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int check_address(const mail_address *a, const char *email_field, const char *name_field,
                         bool required, mc_error *err)
{
    if (a->email.n == 0 && !required) {
        if (a->name.n)
            return mc_error_set(err, 400, "invalid_field", email_field,
                                "%s is required when a name is given", email_field);
        return 0;
    }
    if (header_check_email(a->email, email_field, err) < 0) return -1;
    return header_check_value(a->name, name_field, err);
}

static bool printable_ascii(str_t s, const char *also_forbidden)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 33 || c > 126 || strchr(also_forbidden, c)) return false;
    }
    return true;
}

static bool is_content_type(str_t t)
{
    /* type "/" subtype, each an RFC 2045 token */
    const char *tspecials = "()<>@,;:\\\"/[]?=";
    size_t slash = 0, count = 0;
    for (size_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (c == '/') {
            slash = i;
            count++;
            continue;
        }
        if (c < 33 || c > 126 || strchr(tspecials, c)) return false;
    }
    return count == 1 && slash > 0 && slash + 1 < t.n && t.n <= 127;
}

static int validate(const mail_message *m, mc_error *err)
{
    if (check_address(&m->from, "from.email", "from.name", true, err) < 0) return -1;
    if (check_address(&m->to, "to.email", "to.name", true, err) < 0) return -1;
    if (check_address(&m->reply_to, "reply_to.email", "reply_to.name", false, err) < 0) return -1;
    if (header_check_value(m->subject, "subject", err) < 0) return -1;
    size_t bad;
    if (!utf8_valid(m->html.p, m->html.n, &bad))
        return mc_error_set(err, 400, "invalid_field", "html", "html is not valid UTF-8 (byte %zu)",
                            bad);
    if (!utf8_valid(m->text.p, m->text.n, &bad))
        return mc_error_set(err, 400, "invalid_field", "text", "text is not valid UTF-8 (byte %zu)",
                            bad);
    if (m->message_id.n < 5 || m->message_id.n > 250 || m->message_id.p[0] != '<' ||
        m->message_id.p[m->message_id.n - 1] != '>' ||
        !memchr(m->message_id.p, '@', m->message_id.n) ||
        !printable_ascii(str_make(m->message_id.p + 1, m->message_id.n - 2), "<>\"\\()[],;: "))
        return mc_error_set(err, 400, "invalid_field", "message_id",
                            "message_id must look like <id@domain>");
    if (m->list_id.n && (m->list_id.n > 200 || !printable_ascii(m->list_id, "<>\"\\()[],;:@ ") ||
                         !memchr(m->list_id.p, '.', m->list_id.n)))
        return mc_error_set(err, 400, "invalid_field", "list_id",
                            "list_id must be a dotted name like news.example.com");
    if (header_check_value(m->list_name, "list_name", err) < 0) return -1;
    if (m->unsubscribe_url.n) {
        str_t u = m->unsubscribe_url;
        if ((!str_has_prefix(u, STR_LIT("https://")) && !str_has_prefix(u, STR_LIT("http://"))) ||
            u.n > 900 || !printable_ascii(u, "<>\"\\ "))
            return mc_error_set(err, 400, "invalid_field", "unsubscribe_url",
                                "unsubscribe_url must be an http(s) URL of printable ASCII");
    }
    if (m->unsubscribe_mailto.n &&
        header_check_email(m->unsubscribe_mailto, "unsubscribe_mailto", err) < 0)
        return -1;
    if (m->feedback_id.n && (m->feedback_id.n > 200 || !printable_ascii(m->feedback_id, "<>\"\\")))
        return mc_error_set(err, 400, "invalid_field", "feedback_id",
                            "feedback_id must be printable ASCII without spaces");
    for (size_t i = 0; i < m->header_count; i++) {
        const mail_header *h = &m->headers[i];
        char field[64];
        snprintf(field, sizeof field, "headers[%zu]", i);
        if (!header_name_valid(h->name))
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s: a header name is 1 to 76 printable ASCII characters but ':'",
                                field);
        if (mime_header_blocked(h->name))
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s: the header %.*s is set by mailcast and cannot be overridden",
                                field, (int)h->name.n, h->name.p);
        if (header_check_value(h->value, field, err) < 0) return -1;
    }
    for (size_t i = 0; i < m->attachment_count; i++) {
        const mail_attachment *a = &m->attachments[i];
        char field[64];
        snprintf(field, sizeof field, "attachments[%zu].filename", i);
        if (a->filename.n == 0 || a->filename.n > 255)
            return mc_error_set(err, 400, "invalid_field", field, "%s must be 1 to 255 bytes",
                                field);
        if (header_check_value(a->filename, field, err) < 0) return -1;
        snprintf(field, sizeof field, "attachments[%zu].content_type", i);
        if (a->content_type.n && !is_content_type(a->content_type))
            return mc_error_set(err, 400, "invalid_field", field,
                                "%s must be type/subtype, e.g. application/pdf", field);
    }
    return 0;
}

static bool is_attr_char(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return c && strchr("!#$&+-.^_`|~", c) != NULL;
}

/* appends ";\r\n filename..." for an attachment: a quoted string for short ASCII names,
 * RFC 2231 UTF-8 percent-encoding split into continuations otherwise */
static void append_filename_param(buf_t *out, const char *param, str_t name)
{
    bool simple = name.n <= 60;
    for (size_t i = 0; i < name.n && simple; i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (c < 32 || c > 126) simple = false;
    }
    if (simple) {
        buf_appendf(out, ";\r\n %s=\"", param);
        for (size_t i = 0; i < name.n; i++) {
            if (name.p[i] == '"' || name.p[i] == '\\') buf_putc(out, '\\');
            buf_putc(out, name.p[i]);
        }
        buf_putc(out, '"');
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    size_t i = 0;
    for (int section = 0; i < name.n; section++) {
        buf_appendf(out, ";\r\n %s*%d*=%s", param, section, section == 0 ? "UTF-8''" : "");
        size_t width = 0;
        while (i < name.n && width < 50) {
            unsigned char c = (unsigned char)name.p[i++];
            if (is_attr_char(c)) {
                buf_putc(out, (char)c);
                width++;
            } else {
                char e[3] = {'%', hex[c >> 4], hex[c & 15]};
                buf_append(out, e, 3);
                width += 3;
            }
        }
    }
}

static uint64_t fnv1a(str_t s)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < s.n; i++) {
        h ^= (unsigned char)s.p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void append_text_part(buf_t *out, const char *subtype, str_t body)
{
    buf_appendf(out,
                "Content-Type: text/%s; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                subtype);
    qp_append(out, body.p, body.n);
    /* the CRLF before a boundary belongs to the boundary: end the body with its own */
    if (out->n < 2 || out->p[out->n - 1] != '\n') buf_append(out, "\r\n", 2);
}

static void append_alternative(buf_t *out, const mail_message *m, str_t text, const char *boundary)
{
    if (m->html.n == 0) {
        append_text_part(out, "plain", text);
        return;
    }
    buf_appendf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
    buf_appendf(out, "--%s\r\n", boundary);
    append_text_part(out, "plain", text);
    buf_appendf(out, "--%s\r\n", boundary);
    append_text_part(out, "html", m->html);
    buf_appendf(out, "--%s--\r\n", boundary);
}

static void append_attachment(buf_t *out, const mail_attachment *a)
{
    str_t type = a->content_type.n ? a->content_type : STR_LIT("application/octet-stream");
    buf_append(out, "Content-Type: ", 14);
    buf_append_str(out, type);
    append_filename_param(out, "name", a->filename);
    buf_append(out, "\r\nContent-Disposition: attachment", 33);
    append_filename_param(out, "filename", a->filename);
    buf_append(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n", 39);
    base64_append_lines(out, a->data.p, a->data.n);
}

static void append_list_unsubscribe(buf_t *out, const mail_message *m)
{
    if (!m->unsubscribe_url.n && !m->unsubscribe_mailto.n) return;
    buf_t value = BUF_INIT;
    if (m->unsubscribe_url.n) {
        buf_putc(&value, '<');
        buf_append_str(&value, m->unsubscribe_url);
        buf_putc(&value, '>');
    }
    if (m->unsubscribe_mailto.n) {
        if (value.n) buf_append(&value, ", ", 2);
        buf_append(&value, "<mailto:", 8);
        buf_append_str(&value, m->unsubscribe_mailto);
        buf_append(&value, "?subject=unsubscribe>", 21);
    }
    header_write_structured(out, "List-Unsubscribe", buf_view(&value));
    buf_free(&value);
    /* RFC 8058: one-click needs an HTTPS URI the receiver can POST to */
    if (str_has_prefix(m->unsubscribe_url, STR_LIT("https://")))
        buf_append_cstr(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

int mime_build(const mail_message *m, buf_t *out, mc_error *err)
{
    if (validate(m, err) < 0) return -1;

    buf_t generated = BUF_INIT;
    str_t text = m->text;
    if (text.n == 0 && m->html.n) {
        html_to_text(m->html, &generated);
        text = buf_view(&generated);
    }

    buf_append(out, "Date: ", 6);
    mime_append_date(out, m->date);
    buf_append(out, "\r\n", 2);
    header_write_address(out, "From", m->from.name, m->from.email);
    header_write_address(out, "To", m->to.name, m->to.email);
    if (m->reply_to.email.n)
        header_write_address(out, "Reply-To", m->reply_to.name, m->reply_to.email);
    header_write_unstructured(out, "Subject", m->subject);
    buf_append(out, "Message-ID: ", 12);
    buf_append_str(out, m->message_id);
    buf_append(out, "\r\n", 2);
    if (m->list_id.n) {
        size_t column = 9;
        buf_append(out, "List-Id: ", 9);
        if (m->list_name.n) {
            header_append_phrase(out, m->list_name, &column);
            if (column + m->list_id.n + 3 > 78) buf_append(out, "\r\n", 2);
            buf_putc(out, ' ');
        }
        buf_putc(out, '<');
        buf_append_str(out, m->list_id);
        buf_append(out, ">\r\n", 3);
    }
    append_list_unsubscribe(out, m);
    if (m->feedback_id.n) header_write_structured(out, "Feedback-ID", m->feedback_id);
    for (size_t i = 0; i < m->header_count; i++) {
        char name[80];
        snprintf(name, sizeof name, "%.*s", (int)m->headers[i].name.n, m->headers[i].name.p);
        header_write_unstructured(out, name, m->headers[i].value);
    }
    buf_append_cstr(out, "MIME-Version: 1.0\r\n");

    char alt[40], mixed[40];
    uint64_t h = fnv1a(m->message_id);
    snprintf(alt, sizeof alt, "=_mc_alt_%016llx", (unsigned long long)h);
    snprintf(mixed, sizeof mixed, "=_mc_mix_%016llx", (unsigned long long)h);
    if (m->attachment_count == 0) {
        append_alternative(out, m, text, alt);
    } else {
        buf_appendf(out, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", mixed);
        buf_appendf(out, "--%s\r\n", mixed);
        append_alternative(out, m, text, alt);
        for (size_t i = 0; i < m->attachment_count; i++) {
            buf_appendf(out, "--%s\r\n", mixed);
            append_attachment(out, &m->attachments[i]);
        }
        buf_appendf(out, "--%s--\r\n", mixed);
    }
    buf_free(&generated);
    return 0;
}
