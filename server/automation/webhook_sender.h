/* The delivery of outgoing webhooks: two threads of their own in each worker process, started
 * and stopped with the worker loop. One runs the fan-out that queues deliveries
 * (automation/webhook_fanout.h); the other claims due deliveries (SKIP LOCKED, with a lease,
 * so that several processes share them), posts them concurrently with libcurl's multi
 * interface and records each answer. A slow or dead receiver, or a long backlog to read,
 * holds only these threads: the worker loop, the sending and the tracking never wait for
 * them. */
#ifndef MC_AUTOMATION_WEBHOOK_SENDER_H
#define MC_AUTOMATION_WEBHOOK_SENDER_H

#include "app/app.h"

typedef struct webhook_sender webhook_sender;

/* Starts the threads; user_agent ("mailcast/<version>") is copied. returns the sender (stop
 * with webhook_sender_stop()), or NULL with err. */
webhook_sender *webhook_sender_start(app_t *app, const char *user_agent, mc_error *err);
/* Stops the threads: transfers in flight are abandoned and their deliveries given back, due
 * again at once for any process. Frees s; NULL is a no-op. */
void webhook_sender_stop(webhook_sender *s);

#endif
