/* One SMTP relay as configured in a [smtp.NAME] section. Parsed and validated by
 * relay_config_load() in relay.c; the transports read it. */
#ifndef MC_MAIL_RELAY_CONFIG_H
#define MC_MAIL_RELAY_CONFIG_H

typedef enum {
    RELAY_TLS_OFF,           /* plain SMTP, never STARTTLS */
    RELAY_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
    RELAY_TLS_STARTTLS,      /* STARTTLS required: no TLS, no mail */
    RELAY_TLS_IMPLICIT,      /* TLS from the first byte (port 465), through libcurl */
} relay_tls;

typedef struct {
    char *name; /* the NAME of [smtp.NAME] */
    char *host;
    unsigned port;
    relay_tls tls;
    char *username; /* NULL: no AUTH */
    char *password;
    char *helo; /* EHLO name */
    unsigned max_connections;
    unsigned messages_per_connection;
    double rate;           /* messages per second, 0 = unlimited */
    unsigned max_per_hour; /* 0 = no cap */
    unsigned max_per_day;  /* 0 = no cap */
    unsigned weight;
    unsigned timeout_ms; /* connect, each command, and DATA */
    char *ca_file;       /* PEM CA bundle to verify the relay with; NULL: the system's */
    char *group;         /* the relay group a campaign may name instead of a relay; NULL: none */
} relay_config;

#endif
