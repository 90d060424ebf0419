/* The configuration schema and its three layers: defaults, INI file (inih), environment. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/buf.h"

/* KEY_LISTEN is host:port; KEY_URL is empty or an http(s) URL. Both are stored as strings.
 * KEY_BOOL is true/false (also yes/no, on/off, 1/0), stored as a bool. KEY_PERCENT is a
 * percentage from 0 to 100 written with its sign ("0.1%"), stored as a fraction (double). */
typedef enum {
    KEY_STRING,
    KEY_UINT,
    KEY_SIZE,
    KEY_LISTEN,
    KEY_URL,
    KEY_BOOL,
    KEY_PERCENT
} key_type;

typedef struct {
    const char *section;
    const char *key;
    key_type type;
    size_t offset;
    const char *default_value;
    unsigned long long min, max; /* for numbers */
} key_schema;

#define FIELD(f) offsetof(config_t, f)

static const key_schema SCHEMA[] = {
    {"server", "listen", KEY_LISTEN, FIELD(listen), "127.0.0.1:8080", 0, 0},
    {"server", "public_url", KEY_URL, FIELD(public_url), "", 0, 0},
    {"server", "threads", KEY_UINT, FIELD(threads), "4", 1, 256},
    {"server", "max_body_size", KEY_SIZE, FIELD(max_body_bytes), "10M", 1024, 1ULL << 34},
    {"server", "session_hours", KEY_UINT, FIELD(session_hours), "168", 1, 24 * 365},
    {"database", "url", KEY_STRING, FIELD(database_url), "", 0, 0},
    {"database", "pool_size", KEY_UINT, FIELD(pool_size), "8", 1, 1000},
    {"paths", "data_dir", KEY_STRING, FIELD(data_dir), "var", 0, 0},
    {"paths", "migrations_dir", KEY_STRING, FIELD(migrations_dir), "", 0, 0},
    {"paths", "web_dir", KEY_STRING, FIELD(web_dir), "", 0, 0},
    {"paths", "templates_dir", KEY_STRING, FIELD(templates_dir), "", 0, 0},
    {"security", "secret_file", KEY_STRING, FIELD(secret_file), "", 0, 0},
    {"security", "login_attempts_per_minute", KEY_UINT, FIELD(login_attempts_per_minute), "5", 1,
     1000},
    {"mail", "bounce_address", KEY_STRING, FIELD(bounce_address), "", 0, 0},
    {"mail", "from_email", KEY_STRING, FIELD(from_email), "", 0, 0},
    {"mail", "sender_name", KEY_STRING, FIELD(sender_name), "", 0, 0},
    {"mail", "postal_address", KEY_STRING, FIELD(postal_address), "", 0, 0},
    {"worker", "threads", KEY_UINT, FIELD(worker_threads), "2", 1, 256},
    {"queue", "batch_size", KEY_UINT, FIELD(queue_batch_size), "100", 1, 10000},
    {"queue", "lease_seconds", KEY_UINT, FIELD(queue_lease_seconds), "120", 5, 86400},
    {"queue", "batch_target_ms", KEY_UINT, FIELD(queue_batch_target_ms), "500", 10, 3600000},
    {"queue", "max_attempts", KEY_UINT, FIELD(queue_max_attempts), "8", 1, 100},
    {"queue", "max_age_hours", KEY_UINT, FIELD(queue_max_age_hours), "72", 1, 24 * 30},
    {"queue", "retry_base_seconds", KEY_UINT, FIELD(queue_retry_base_seconds), "60", 1, 86400},
    {"queue", "retry_max_seconds", KEY_UINT, FIELD(queue_retry_max_seconds), "3600", 1, 86400},
    {"queue", "retention_days", KEY_UINT, FIELD(queue_retention_days), "0", 0, 36500},
    {"queue", "poll_interval_ms", KEY_UINT, FIELD(queue_poll_interval_ms), "1000", 10, 3600000},
    {"bounces", "hard_limit", KEY_UINT, FIELD(bounces_hard_limit), "1", 1, 1000},
    {"bounces", "soft_limit", KEY_UINT, FIELD(bounces_soft_limit), "3", 1, 1000},
    {"bounces", "soft_window_days", KEY_UINT, FIELD(bounces_soft_window_days), "7", 1, 3650},
    {"bounces", "imap_url", KEY_STRING, FIELD(bounces_imap_url), "", 0, 0},
    {"bounces", "username", KEY_STRING, FIELD(bounces_username), "", 0, 0},
    {"bounces", "password", KEY_STRING, FIELD(bounces_password), "", 0, 0},
    {"bounces", "folder", KEY_STRING, FIELD(bounces_folder), "INBOX", 0, 0},
    {"bounces", "poll_seconds", KEY_UINT, FIELD(bounces_poll_seconds), "60", 1, 86400},
    {"bounces", "ses_certificate_url", KEY_STRING, FIELD(bounces_ses_certificate_url),
     "https://sns.*.amazonaws.com/", 0, 0},
    {"bounces", "ses_topic_arn", KEY_STRING, FIELD(bounces_ses_topic_arn), "", 0, 0},
    {"bounces", "sendgrid_public_key", KEY_STRING, FIELD(bounces_sendgrid_public_key), "", 0, 0},
    {"bounces", "postmark_username", KEY_STRING, FIELD(bounces_postmark_username), "", 0, 0},
    {"bounces", "postmark_password", KEY_STRING, FIELD(bounces_postmark_password), "", 0, 0},
    {"bounces", "mailgun_signing_key", KEY_STRING, FIELD(bounces_mailgun_signing_key), "", 0, 0},
    {"tracking", "event_retention_days", KEY_UINT, FIELD(tracking_event_retention_days), "0", 0,
     36500},
    {"tracking", "store_ip", KEY_BOOL, FIELD(tracking_store_ip), "true", 0, 0},
    {"tracking", "buffer_events", KEY_UINT, FIELD(tracking_buffer_events), "100000", 100, 10000000},
    {"automation", "order_event", KEY_STRING, FIELD(automation_order_event), "order_completed", 0,
     0},
    {"automation", "revenue_property", KEY_STRING, FIELD(automation_revenue_property), "revenue", 0,
     0},
    {"automation", "click_window_days", KEY_UINT, FIELD(automation_click_window_days), "5", 0, 365},
    {"automation", "open_window_days", KEY_UINT, FIELD(automation_open_window_days), "1", 0, 365},
    {"automation", "subscriber_cap", KEY_UINT, FIELD(automation_subscriber_cap), "1", 0, 1000},
    {"automation", "cap_window_hours", KEY_UINT, FIELD(automation_cap_window_hours), "24", 0,
     24 * 365},
    {"automation", "max_property_bytes", KEY_UINT, FIELD(automation_max_property_bytes), "32768",
     64, 1048576},
    {"automation", "default_timezone", KEY_STRING, FIELD(automation_default_timezone), "UTC", 0, 0},
    {"webhooks", "allow_private", KEY_BOOL, FIELD(webhooks_allow_private), "false", 0, 0},
    {"webhooks", "timeout_seconds", KEY_UINT, FIELD(webhooks_timeout_seconds), "10", 1, 300},
    {"webhooks", "retry_hours", KEY_UINT, FIELD(webhooks_retry_hours), "24", 1, 24 * 30},
    {"webhooks", "retry_base_seconds", KEY_UINT, FIELD(webhooks_retry_base_seconds), "10", 1, 3600},
    {"webhooks", "log_days", KEY_UINT, FIELD(webhooks_log_days), "30", 1, 3650},
    {"dns", "resolver", KEY_STRING, FIELD(dns_resolver), "", 0, 0},
    {"dns", "timeout_seconds", KEY_UINT, FIELD(dns_timeout_seconds), "3", 1, 60},
    {"deliverability", "sending_addresses", KEY_STRING, FIELD(deliverability_sending_addresses), "",
     0, 0},
    {"deliverability", "complaint_threshold", KEY_PERCENT, FIELD(complaint_threshold), "0.1%", 0,
     0},
    {"deliverability", "complaint_min_sent", KEY_UINT, FIELD(complaint_min_sent), "1000", 1,
     100000000},
    {"deliverability", "complaint_window_days", KEY_UINT, FIELD(complaint_window_days), "7", 1,
     365},
};
#define SCHEMA_COUNT (sizeof SCHEMA / sizeof SCHEMA[0])

/* Keys allowed in the named sections [smtp.NAME], [dkim.DOMAIN] and [destination.NAME]. */
static const char *const SMTP_KEYS[] = {"host",
                                        "port",
                                        "tls",
                                        "username",
                                        "password",
                                        "helo",
                                        "max_connections",
                                        "messages_per_connection",
                                        "rate",
                                        "max_per_hour",
                                        "max_per_day",
                                        "weight",
                                        "timeout",
                                        "ca_file",
                                        "group",
                                        NULL};
static const char *const DKIM_KEYS[] = {"selector",         "private_key_file", "algorithm",
                                        "ed25519_selector", "ed25519_key_file", NULL};
static const char *const DESTINATION_KEYS[] = {"domains",
                                               "max_connections",
                                               "messages_per_connection",
                                               "rate_per_minute",
                                               "min_rate_per_minute",
                                               "quiet_seconds",
                                               NULL};
static const char *const WARMUP_KEYS[] = {"relay", "domain", "daily", "start", NULL};

typedef struct {
    const char *kind;
    const char *const *keys;
} named_schema;

static const named_schema NAMED[] = {
    {"smtp", SMTP_KEYS},
    {"dkim", DKIM_KEYS},
    {"destination", DESTINATION_KEYS},
    {"warmup", WARMUP_KEYS},
};

/* inih's Debian build keeps 200 bytes of a line; longer lines would be split silently. */
#define INI_LINE_MAX 200

typedef struct {
    FILE *file;
    int line;
    bool line_too_long;
    int too_long_line;
} line_reader;

typedef struct {
    config_t *cfg;
    line_reader *reader;
    mc_error *err;
    bool failed;
} parse_state;

static char *string_field(config_t *cfg, const key_schema *k)
{
    return *(char **)((char *)cfg + k->offset);
}

static int parse_number(const char *value, key_type type, unsigned long long *out)
{
    const char *p = value;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno) return -1;
    if (type == KEY_SIZE) {
        unsigned long long mult = 1;
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1024ULL;
            end++;
            break;
        case 'm':
        case 'M':
            mult = 1024ULL * 1024;
            end++;
            break;
        case 'g':
        case 'G':
            mult = 1024ULL * 1024 * 1024;
            end++;
            break;
        default:
            break;
        }
        if (v > ULLONG_MAX / mult) return -1;
        v *= mult;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

static bool valid_listen(const char *listen)
{
    const char *colon = strrchr(listen, ':');
    unsigned long long port;
    return colon && colon != listen && parse_number(colon + 1, KEY_UINT, &port) == 0 &&
           port <= 65535;
}

/* Sets one schema key; where describes the source for error messages ("file:line" or "NAME"). */
static int set_key(config_t *cfg, const key_schema *k, const char *value, const char *where,
                   mc_error *err)
{
    char *base = (char *)cfg + k->offset;
    if (k->type == KEY_LISTEN && !valid_listen(value))
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [%s] %s = \"%s\" must be host:port, e.g. 127.0.0.1:8080", where,
                            k->section, k->key, value);
    if (k->type == KEY_URL && value[0] && strncmp(value, "http://", 7) &&
        strncmp(value, "https://", 8))
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [%s] %s = \"%s\" must start with http:// or https://", where,
                            k->section, k->key, value);
    if (k->type == KEY_BOOL) {
        bool *slot = (bool *)base;
        if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") || !strcasecmp(value, "on") ||
            !strcmp(value, "1"))
            *slot = true;
        else if (!strcasecmp(value, "false") || !strcasecmp(value, "no") ||
                 !strcasecmp(value, "off") || !strcmp(value, "0"))
            *slot = false;
        else
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: [%s] %s = \"%s\" must be true or false", where, k->section,
                                k->key, value);
        return 0;
    }
    if (k->type == KEY_PERCENT) {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end != '%' || end[1] || !(v >= 0 && v <= 100))
            return mc_error_set(err, 400, "invalid_config", where,
                                "%s: [%s] %s = \"%s\" must be a percentage from 0%% to 100%%, "
                                "e.g. 0.1%%",
                                where, k->section, k->key, value);
        *(double *)base = v / 100.0;
        return 0;
    }
    if (k->type == KEY_STRING || k->type == KEY_LISTEN || k->type == KEY_URL) {
        char **slot = (char **)base;
        free(*slot);
        *slot = xstrdup(value);
        return 0;
    }
    unsigned long long v;
    if (parse_number(value, k->type, &v) < 0 || v < k->min || v > k->max)
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: [%s] %s = \"%s\" is not a %s between %llu and %llu", where,
                            k->section, k->key, value,
                            k->type == KEY_SIZE ? "size (bytes, or with K, M or G)" : "number",
                            k->min, k->max);
    if (k->type == KEY_UINT)
        *(unsigned *)base = (unsigned)v;
    else
        *(size_t *)base = (size_t)v;
    return 0;
}

static const key_schema *find_key(const char *section, const char *key)
{
    for (size_t i = 0; i < SCHEMA_COUNT; i++)
        if (!strcmp(SCHEMA[i].section, section) && !strcmp(SCHEMA[i].key, key)) return &SCHEMA[i];
    return NULL;
}

static const named_schema *find_named(const char *section, const char **name)
{
    const char *dot = strchr(section, '.');
    if (!dot || !dot[1]) return NULL;
    for (size_t i = 0; i < sizeof NAMED / sizeof NAMED[0]; i++) {
        size_t n = strlen(NAMED[i].kind);
        if ((size_t)(dot - section) == n && !strncmp(section, NAMED[i].kind, n)) {
            *name = dot + 1;
            return &NAMED[i];
        }
    }
    return NULL;
}

static bool named_key_allowed(const named_schema *ns, const char *key)
{
    for (const char *const *k = ns->keys; *k; k++)
        if (!strcmp(*k, key)) return true;
    return false;
}

static config_named_section *named_section(config_t *cfg, const char *kind, const char *name,
                                           int line)
{
    for (size_t i = 0; i < cfg->named_count; i++)
        if (!strcmp(cfg->named[i].kind, kind) && !strcmp(cfg->named[i].name, name))
            return &cfg->named[i];
    cfg->named = xrealloc(cfg->named, (cfg->named_count + 1) * sizeof *cfg->named);
    config_named_section *s = &cfg->named[cfg->named_count++];
    *s = (config_named_section){xstrdup(kind), xstrdup(name), line, NULL, 0};
    return s;
}

static void named_set(config_named_section *s, const char *key, const char *value, int line)
{
    for (size_t i = 0; i < s->entry_count; i++) {
        if (!strcmp(s->entries[i].key, key)) {
            free(s->entries[i].value);
            s->entries[i].value = xstrdup(value);
            s->entries[i].line = line;
            return;
        }
    }
    s->entries = xrealloc(s->entries, (s->entry_count + 1) * sizeof *s->entries);
    s->entries[s->entry_count++] = (config_entry){xstrdup(key), xstrdup(value), line};
}

static char *read_line(char *str, int num, void *stream)
{
    line_reader *r = stream;
    char *got = fgets(str, num, r->file);
    if (!got) return NULL;
    r->line++;
    size_t len = strlen(str);
    if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(r->file)) {
        /* the rest of an over-long line would reach inih as a line of its own */
        if (!r->line_too_long) r->too_long_line = r->line;
        r->line_too_long = true;
        int c;
        while ((c = fgetc(r->file)) != EOF && c != '\n') {
        }
        str[0] = '\0';
    }
    return got;
}

static int on_ini_value(void *user, const char *section, const char *key, const char *value)
{
    parse_state *st = user;
    if (st->failed) return 0;
    char where[512];
    snprintf(where, sizeof where, "%s:%d", st->cfg->path, st->reader->line);
    if (!key) return 1; /* a section header with no keys yet */
    const key_schema *k = find_key(section, key);
    if (k) {
        if (set_key(st->cfg, k, value, where, st->err) < 0) st->failed = true;
        return !st->failed;
    }
    const char *name;
    const named_schema *ns = find_named(section, &name);
    if (ns && named_key_allowed(ns, key)) {
        named_set(named_section(st->cfg, ns->kind, name, st->reader->line), key, value,
                  st->reader->line);
        return 1;
    }
    mc_error_set(st->err, 400, "invalid_config", where, "%s: unknown key \"%s\" in section [%s]",
                 where, key, section);
    st->failed = true;
    return 0;
}

static int load_file(config_t *cfg, const char *path, mc_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return mc_error_set(err, 400, "invalid_config", path, "%s: cannot read the file: %s", path,
                            strerror(errno));
    line_reader reader = {f, 0, false, 0};
    parse_state st = {cfg, &reader, err, false};
    int rc = ini_parse_stream(read_line, &reader, on_ini_value, &st);
    fclose(f);
    if (reader.line_too_long) {
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, reader.too_long_line);
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: line is longer than %d characters; put long values in an "
                            "environment variable instead",
                            where, INI_LINE_MAX - 1);
    }
    if (st.failed) return -1;
    if (rc != 0) {
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, rc);
        return mc_error_set(err, 400, "invalid_config", where,
                            "%s: not a valid line (expected [section] or key = value)", where);
    }
    return 0;
}

/* MAILCAST_SERVER_LISTEN for [server] listen; MAILCAST_SMTP_PRIMARY_HOST for [smtp.primary]. */
static void env_name(buf_t *out, const char *section, const char *key)
{
    buf_reset(out);
    buf_append_cstr(out, "MAILCAST_");
    for (const char *p = section; *p; p++)
        buf_putc(out, isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_');
    buf_putc(out, '_');
    for (const char *p = key; *p; p++)
        buf_putc(out, (char)toupper((unsigned char)*p));
}

static const char *env_lookup(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

static int load_env(config_t *cfg, char **envp, mc_error *err)
{
    buf_t name = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < SCHEMA_COUNT && rc == 0; i++) {
        env_name(&name, SCHEMA[i].section, SCHEMA[i].key);
        const char *v = env_lookup(envp, buf_cstr(&name));
        if (v) rc = set_key(cfg, &SCHEMA[i], v, buf_cstr(&name), err);
    }
    for (size_t i = 0; i < cfg->named_count && rc == 0; i++) {
        config_named_section *s = &cfg->named[i];
        const named_schema *ns = NULL;
        for (size_t j = 0; j < sizeof NAMED / sizeof NAMED[0]; j++)
            if (!strcmp(NAMED[j].kind, s->kind)) ns = &NAMED[j];
        char section[256];
        snprintf(section, sizeof section, "%s.%s", s->kind, s->name);
        for (const char *const *k = ns->keys; *k; k++) {
            env_name(&name, section, *k);
            const char *v = env_lookup(envp, buf_cstr(&name));
            if (v) named_set(s, *k, v, 0);
        }
    }
    buf_free(&name);
    return rc;
}

static void derive_defaults(config_t *cfg)
{
    if (!cfg->public_url[0]) {
        free(cfg->public_url);
        buf_t url = BUF_INIT;
        buf_appendf(&url, "http://%s", cfg->listen);
        cfg->public_url = buf_detach(&url, NULL);
    }
    if (!cfg->secret_file[0]) {
        free(cfg->secret_file);
        buf_t path = BUF_INIT;
        buf_appendf(&path, "%s/secret", cfg->data_dir);
        cfg->secret_file = buf_detach(&path, NULL);
    }
    if (!cfg->migrations_dir[0]) {
        free(cfg->migrations_dir);
        cfg->migrations_dir = xstrdup(MAILCAST_SOURCE_DIR "/migrations");
    }
    if (!cfg->templates_dir[0]) {
        free(cfg->templates_dir);
        cfg->templates_dir = xstrdup(MAILCAST_SOURCE_DIR "/templates");
    }
    /* public_url is joined with paths: no trailing slash */
    size_t n = strlen(cfg->public_url);
    while (n > 0 && cfg->public_url[n - 1] == '/')
        cfg->public_url[--n] = '\0';
}

static int validate(config_t *cfg, mc_error *err)
{
    if (!cfg->data_dir[0])
        return mc_error_set(err, 400, "invalid_config", "paths.data_dir",
                            "[paths] data_dir must not be empty");
    return 0;
}

int config_load(config_t *cfg, const char *path, char **envp, mc_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < SCHEMA_COUNT; i++)
        set_key(cfg, &SCHEMA[i], SCHEMA[i].default_value, "default", NULL);
    if (path) {
        cfg->path = xstrdup(path);
        if (load_file(cfg, path, err) < 0) goto fail;
    }
    if (load_env(cfg, envp, err) < 0) goto fail;
    derive_defaults(cfg);
    if (validate(cfg, err) < 0) goto fail;
    return 0;
fail:
    config_free(cfg);
    return -1;
}

void config_free(config_t *cfg)
{
    for (size_t i = 0; i < SCHEMA_COUNT; i++)
        if (SCHEMA[i].type != KEY_UINT && SCHEMA[i].type != KEY_SIZE &&
            SCHEMA[i].type != KEY_BOOL && SCHEMA[i].type != KEY_PERCENT)
            free(string_field(cfg, &SCHEMA[i]));
    for (size_t i = 0; i < cfg->named_count; i++) {
        config_named_section *s = &cfg->named[i];
        for (size_t j = 0; j < s->entry_count; j++) {
            free(s->entries[j].key);
            free(s->entries[j].value);
        }
        free(s->entries);
        free(s->kind);
        free(s->name);
    }
    free(cfg->named);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_named_get(const config_named_section *s, const char *key, int *line)
{
    for (size_t i = 0; i < s->entry_count; i++) {
        if (!strcmp(s->entries[i].key, key)) {
            if (line) *line = s->entries[i].line;
            return s->entries[i].value;
        }
    }
    return NULL;
}
