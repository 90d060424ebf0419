/* Reading and checking a campaign's fields from a JSON request (create, PUT, PATCH). Every
 * value ends as the text of one SQL parameter; NULL means "not given". */
#ifndef MC_CAMPAIGN_CAMPAIGN_INPUT_H
#define MC_CAMPAIGN_CAMPAIGN_INPUT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "mail/relay.h"

/* The order of the parameters in the campaigns SQL ($2 .. $22 after the id). */
enum {
    CAMPAIGN_NAME,
    CAMPAIGN_SUBJECT,
    CAMPAIGN_FROM_EMAIL,
    CAMPAIGN_FROM_NAME,
    CAMPAIGN_REPLY_TO,
    CAMPAIGN_TEMPLATE_ID,
    CAMPAIGN_BODY,
    CAMPAIGN_LISTS,
    CAMPAIGN_SEGMENTS,
    CAMPAIGN_EXCLUDE_LISTS,
    CAMPAIGN_EXCLUDE_SEGMENTS,
    CAMPAIGN_RELAY,
    CAMPAIGN_SEND_AT,
    CAMPAIGN_TIMEZONE,
    CAMPAIGN_TAGS,
    CAMPAIGN_HEADERS,
    CAMPAIGN_TRACK_OPENS,
    CAMPAIGN_TRACK_CLICKS,
    CAMPAIGN_UTM,
    CAMPAIGN_RATE_PER_S,
    CAMPAIGN_WINDOW_START,
    CAMPAIGN_WINDOW_END,
    CAMPAIGN_FIELD_COUNT
};

typedef struct {
    char *values[CAMPAIGN_FIELD_COUNT]; /* owned; NULL = absent */
    bool clear_window;                  /* "window_start": null given on an update */
    char *ab_test; /* the A/B test (campaign_ab_parse()): NULL absent, "null" to remove; owned */
} campaign_input;

/* Reads body into in and checks it against the database (the template exists and compiles,
 * lists and segments exist, the time zone is known) and relays (a non-empty relay names one of
 * them). required: the fields a new campaign needs must be there. returns 0, or -1 with a 400
 * naming the field; in is filled either way and is released with campaign_input_free(). */
int campaign_input_parse(PGconn *conn, const char *templates_dir, const relay_set *relays,
                         json_t *body, bool required, campaign_input *in, mc_error *err);
void campaign_input_free(campaign_input *in);

/* Checks that template id (decimal text; NULL: none) exists and is a message's, not a layout.
 * returns 0, or -1 with a 400 naming field. */
int campaign_check_template(PGconn *conn, const char *id, const char *field, mc_error *err);

/* Reads an audience alone from body (lists, segments, exclude_lists, exclude_segments, each
 * optional) as four PostgreSQL array literals ("{}" when absent; each freed by the caller with
 * free(), also on failure) and checks that every id exists. returns 0, or -1 with a 400
 * naming the member. */
int campaign_audience_parse(PGconn *conn, json_t *body, char *audience[4], mc_error *err);

#endif
