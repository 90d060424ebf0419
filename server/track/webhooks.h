/* The bounce and complaint webhooks of Amazon SES (through SNS), SendGrid, Postmark and
 * Mailgun: each request is authenticated as its provider documents (track/webhook_verify.h),
 * then every bounce or complaint event in it is recorded (track/bounce_store.h) with the
 * provider's event id, so a retried delivery is not counted twice. Events of other kinds
 * (deliveries, opens) are accepted and ignored. */
#ifndef MC_TRACK_WEBHOOKS_H
#define MC_TRACK_WEBHOOKS_H

#include <libpq-fe.h>

#include "app/app.h"
#include "core/error.h"
#include "core/str.h"

typedef struct {
    const char *authorization; /* Authorization header (Postmark) */
    const char *signature;     /* X-Twilio-Email-Event-Webhook-Signature (SendGrid) */
    const char *timestamp;     /* X-Twilio-Email-Event-Webhook-Timestamp (SendGrid) */
} webhook_headers;

typedef enum { WEBHOOK_SES, WEBHOOK_SENDGRID, WEBHOOK_POSTMARK, WEBHOOK_MAILGUN } webhook_provider;

/* Authenticates and applies the request body of provider. returns the number of bounces and
 * complaints recorded (0 or more), or -1 with err: 401 without credentials or signature, 403
 * with wrong ones or when the provider is not configured, 400 for a body that is not the
 * provider's format; nothing is recorded then. */
long long webhook_receive(app_t *app, PGconn *conn, webhook_provider provider, str_t body,
                          const webhook_headers *headers, mc_error *err);

#endif
