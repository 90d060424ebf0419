/* Configuration: defaults, then the INI file, then MAILCAST_<SECTION>_<KEY> environment
 * variables. Every key is declared in config.c's schema; an unknown key or a bad value
 * is an error naming the file, line and key. config.example.ini documents the same keys. */
#ifndef MC_CORE_CONFIG_H
#define MC_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

/* A section whose name has a variable part, e.g. [smtp.primary] or [dkim.example.com].
 * Its values stay strings here; the concern that owns the section interprets them and
 * reports errors with the line recorded for each key. */
typedef struct {
    char *key;
    char *value;
    int line; /* 0 when the value came from the environment */
} config_entry;

typedef struct {
    char *kind; /* "smtp", "dkim" or "warmup" */
    char *name; /* the part after the dot */
    int line;
    config_entry *entries;
    size_t entry_count;
} config_named_section;

typedef struct {
    char *path; /* the file read, or NULL when none */

    /* [server] */
    char *listen;     /* host:port, default 127.0.0.1:8080 */
    char *public_url; /* default http://<listen> */
    unsigned threads;
    size_t max_body_bytes;
    unsigned session_hours;

    /* [database] */
    char *database_url; /* empty: the embedded cluster under data_dir */
    unsigned pool_size;

    /* [paths] */
    char *data_dir;
    char *migrations_dir;
    char *web_dir;       /* the dashboard's files; empty: the copy built into the binary */
    char *templates_dir; /* HTML of the public pages, default <source>/templates */

    /* [security] */
    char *secret_file; /* default <data_dir>/secret */
    unsigned login_attempts_per_minute;

    /* [mail] */
    char *bounce_address;
    char *from_email;
    char *sender_name;    /* who sends, as footers name it */
    char *postal_address; /* the sender's postal address, for footers (bulk-mail law) */

    /* [worker] */
    unsigned worker_threads;

    /* [queue] */
    unsigned queue_batch_size;         /* messages claimed at once */
    unsigned queue_lease_seconds;      /* a claimed batch is reclaimed after this */
    unsigned queue_batch_target_ms;    /* batches shrink to take about this long on the wire */
    unsigned queue_max_attempts;       /* temporary failures before a message fails */
    unsigned queue_max_age_hours;      /* a message older than this fails at its next failure */
    unsigned queue_retry_base_seconds; /* first back-off; doubles per attempt, with jitter */
    unsigned queue_retry_max_seconds;  /* back-off cap */
    unsigned queue_retention_days;     /* finished messages are deleted after this; 0 = never */
    unsigned queue_poll_interval_ms;   /* workers look for work this often without a NOTIFY */

    /* [bounces] (docs/bounces.md) */
    unsigned bounces_hard_limit; /* hard bounces that blocklist an address */
    unsigned bounces_soft_limit; /* soft bounces within the window that blocklist it */
    unsigned bounces_soft_window_days;
    char *bounces_imap_url; /* the bounce mailbox, e.g. imaps://mail.example.com; empty: none */
    char *bounces_username;
    char *bounces_password;
    char *bounces_folder;
    unsigned bounces_poll_seconds;
    char *bounces_ses_certificate_url; /* SNS signing certificates must start so ("*": a label) */
    char *bounces_ses_topic_arn;       /* when set, the only SNS topic accepted */
    char *bounces_sendgrid_public_key; /* base64 of the Signed Event Webhook's P-256 key */
    char *bounces_postmark_username;   /* the webhook's basic-auth credentials */
    char *bounces_postmark_password;
    char *bounces_mailgun_signing_key; /* HTTP webhook signing key */

    /* [tracking] */
    unsigned tracking_event_retention_days; /* opens and clicks are deleted after this; 0 = never */
    bool tracking_store_ip;                 /* keep the client's truncated address with events */
    unsigned tracking_buffer_events;        /* opens and clicks held in memory at most */

    /* [automation] (docs/automations.md) */
    char *automation_order_event;           /* the event whose revenue is attributed */
    char *automation_revenue_property;      /* its property holding the amount */
    unsigned automation_click_window_days;  /* a human click this recent gets the order */
    unsigned automation_open_window_days;   /* else a human open this recent */
    unsigned automation_subscriber_cap;     /* triggered messages per subscriber per window */
    unsigned automation_cap_window_hours;   /* 0 cap or window: no cap */
    unsigned automation_max_property_bytes; /* an event's properties, as JSON text */
    char *automation_default_timezone;      /* for "wait until a time of day" without one */

    /* [webhooks] */
    bool webhooks_allow_private;       /* deliver to loopback, private and link-local addresses */
    unsigned webhooks_timeout_seconds; /* one delivery attempt, connect to last byte */
    unsigned webhooks_retry_hours;     /* a failing delivery is retried for this long */
    unsigned webhooks_retry_base_seconds; /* the pause after a first failed attempt, doubling */
    unsigned webhooks_log_days;           /* delivered and failed deliveries are kept this long */

    /* [dns] and [deliverability]: the DNS preflight (docs/deliverability.md) */
    char *dns_resolver;           /* ADDR or ADDR@PORT, comma-separated; empty: resolv.conf */
    unsigned dns_timeout_seconds; /* one lookup, every try included */
    char *deliverability_sending_addresses; /* public addresses mail leaves from; empty: relays' */

    /* [deliverability] (docs/deliverability.md, Complaint guard) */
    double complaint_threshold;     /* complaints per message sent (0.001 for 0.1%) that pause */
    unsigned complaint_min_sent;    /* messages sent before a rate counts */
    unsigned complaint_window_days; /* a sending domain's rate is over this many days */

    config_named_section *named;
    size_t named_count;
} config_t;

/* Loads defaults, then path (when not NULL), then the environment in envp (NULL-terminated
 * "NAME=value" strings, usually environ). returns 0, or -1 with err->field "file:line key".
 * On success the caller frees with config_free(). */
int config_load(config_t *cfg, const char *path, char **envp, mc_error *err);
void config_free(config_t *cfg);
/* returns the value of key in a named section (borrowed), or NULL when unset */
const char *config_named_get(const config_named_section *s, const char *key, int *line);

#endif
