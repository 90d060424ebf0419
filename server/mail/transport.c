/* Classification shared by every transport, so a 4xx means the same thing whichever
 * library carried the message. */
#include "mail/transport.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

mail_outcome mail_classify(int code)
{
    if (code >= 200 && code < 300) return MAIL_SENT;
    if (code >= 500 && code < 600) return MAIL_PERMANENT;
    return MAIL_TEMPORARY;
}

const char *mail_outcome_name(mail_outcome o)
{
    switch (o) {
    case MAIL_SENT:
        return "sent";
    case MAIL_PERMANENT:
        return "permanent";
    case MAIL_TEMPORARY:
        break;
    }
    return "temporary";
}

void mail_result_set(mail_result *r, int code, const char *enhanced, const char *text)
{
    r->code = code;
    r->outcome = mail_classify(code);
    r->maybe_delivered = false;
    snprintf(r->enhanced, sizeof r->enhanced, "%s", enhanced ? enhanced : "");
    const char *t = text ? text : "";
    size_t n = strlen(t);
    while (n && (t[n - 1] == '\r' || t[n - 1] == '\n' || t[n - 1] == ' '))
        n--;
    n = utf8_truncate_len(t, n, sizeof r->text - 1);
    memcpy(r->text, t, n);
    r->text[n] = '\0';
    /* reply text comes from the network: keep it printable for logs */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r->text[i] < 32) r->text[i] = ' ';
}

int mail_transport_send_all(mail_transport *t, const mail_envelope *msgs, size_t n,
                            size_t per_connection, mail_result *results, mc_error *err)
{
    if (per_connection == 0) per_connection = n ? n : 1;
    int rc = 0;
    for (size_t first = 0; first < n; first += per_connection) {
        size_t count = n - first < per_connection ? n - first : per_connection;
        if (mail_transport_send(t, msgs + first, count, results + first, err) < 0) rc = -1;
    }
    return rc;
}
