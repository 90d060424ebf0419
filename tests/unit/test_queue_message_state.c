/* The message states named in C are the ones the schema allows (the CHECK constraint on
 * messages.state in migrations/), and the transition table only joins states that exist and
 * never leaves an ended one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/file.h"
#include "queue/message_state.h"

#define MIGRATIONS MAILCAST_SOURCE_DIR "/migrations"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every migration's text, in the order they run */
static void read_migrations(buf_t *all)
{
    DIR *dir = opendir(MIGRATIONS);
    assert_non_null(dir);
    char *names[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len > 4 && !strcmp(e->d_name + len - 4, ".sql") && n < 256)
            names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    assert_true(n > 0);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        buf_t path = BUF_INIT;
        buf_appendf(&path, "%s/%s", MIGRATIONS, names[i]);
        assert_int_equal(file_read_all(buf_cstr(&path), 10 * 1024 * 1024, all), 0);
        buf_append(all, "\n", 1);
        buf_free(&path);
        free(names[i]);
    }
}

/* The names in the CHECK (state IN (...)) of CREATE TABLE messages, in *names (count in *n). */
static void schema_states(char names[][32], int *n)
{
    buf_t all = BUF_INIT;
    read_migrations(&all);
    const char *table = strstr(buf_cstr(&all), "CREATE TABLE messages (");
    assert_non_null(table);
    /* no later migration may redefine the constraint without this test knowing */
    assert_null(strstr(table + 1, "CREATE TABLE messages ("));
    assert_null(strstr(buf_cstr(&all), "messages_state_check"));
    const char *check = strstr(table, "CHECK (state IN (");
    const char *end = strstr(table, ");");
    assert_non_null(check);
    assert_true(check < end);
    const char *p = check + strlen("CHECK (state IN (");
    *n = 0;
    while (*p != ')') {
        const char *open = strchr(p, '\'');
        const char *close = open ? strchr(open + 1, '\'') : NULL;
        assert_non_null(close);
        assert_true(close - open - 1 < 32);
        memcpy(names[*n], open + 1, (size_t)(close - open - 1));
        names[*n][close - open - 1] = '\0';
        (*n)++;
        p = close + 1;
        while (*p == ',' || *p == ' ' || *p == '\n')
            p++;
    }
    buf_free(&all);
}

static void test_the_c_states_are_the_ones_the_schema_allows(void **state)
{
    (void)state;
    char names[16][32];
    int n;
    schema_states(names, &n);
    assert_int_equal(n, MESSAGE_STATE_COUNT);
    for (int i = 0; i < n; i++)
        assert_true(message_state_from_name(names[i]) >= 0);
    for (int s = 0; s < MESSAGE_STATE_COUNT; s++)
        assert_int_equal(message_state_from_name(message_state_name((message_state)s)), s);
    assert_int_equal(message_state_from_name("paused"), -1);
    assert_null(message_state_name(MESSAGE_STATE_COUNT));
}

static void test_the_sql_literals_spell_the_names(void **state)
{
    (void)state;
    const char *literals[MESSAGE_STATE_COUNT] = {
        [MESSAGE_QUEUED] = MESSAGE_QUEUED_SQL, [MESSAGE_SENDING] = MESSAGE_SENDING_SQL,
        [MESSAGE_SENT] = MESSAGE_SENT_SQL,     [MESSAGE_DEFERRED] = MESSAGE_DEFERRED_SQL,
        [MESSAGE_FAILED] = MESSAGE_FAILED_SQL, [MESSAGE_CANCELLED] = MESSAGE_CANCELLED_SQL,
    };
    for (int s = 0; s < MESSAGE_STATE_COUNT; s++) {
        char quoted[40];
        snprintf(quoted, sizeof quoted, "'%s'", message_state_name((message_state)s));
        assert_string_equal(literals[s], quoted);
    }
    assert_string_equal(MESSAGE_WAITING_SQL, "('queued', 'deferred')");
    assert_string_equal(MESSAGE_ENDED_SQL, "('sent', 'failed', 'cancelled')");
}

static void test_no_transition_leaves_an_ended_state(void **state)
{
    (void)state;
    size_t n;
    const message_transition *t = message_transitions(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(message_state_name(t[i].from));
        assert_non_null(message_state_name(t[i].to));
        assert_int_not_equal(t[i].from, t[i].to);
        assert_false(message_state_ended(t[i].from));
    }
    assert_true(message_state_ended(MESSAGE_SENT));
    assert_true(message_state_ended(MESSAGE_FAILED));
    assert_true(message_state_ended(MESSAGE_CANCELLED));
    assert_false(message_state_ended(MESSAGE_DEFERRED));
}

/* What the ledger's statements do (docs/architecture.md, "Message states"), each allowed. */
static void test_the_transitions_the_ledger_performs_are_in_the_table(void **state)
{
    (void)state;
    static const message_state done[][2] = {
        {MESSAGE_QUEUED, MESSAGE_SENDING},     /* claim */
        {MESSAGE_DEFERRED, MESSAGE_SENDING},   /* claim of a retry */
        {MESSAGE_SENDING, MESSAGE_SENT},       /* record: accepted */
        {MESSAGE_SENDING, MESSAGE_DEFERRED},   /* record: temporary; lease ran out */
        {MESSAGE_SENDING, MESSAGE_FAILED},     /* record: permanent, gave up, not built */
        {MESSAGE_SENDING, MESSAGE_QUEUED},     /* record: throttled; give-back: paused */
        {MESSAGE_SENDING, MESSAGE_CANCELLED},  /* give-back: campaign cancelled; lease */
        {MESSAGE_QUEUED, MESSAGE_CANCELLED},   /* queue_cancel_campaign; claim: unsubscribed */
        {MESSAGE_DEFERRED, MESSAGE_CANCELLED}, /* queue_cancel_campaign */
    };
    for (size_t i = 0; i < sizeof done / sizeof done[0]; i++)
        assert_true(message_transition_allowed(done[i][0], done[i][1]));
    /* and nothing comes back from an end */
    assert_false(message_transition_allowed(MESSAGE_SENT, MESSAGE_QUEUED));
    assert_false(message_transition_allowed(MESSAGE_CANCELLED, MESSAGE_QUEUED));
    assert_false(message_transition_allowed(MESSAGE_FAILED, MESSAGE_DEFERRED));
    assert_false(message_transition_allowed(MESSAGE_QUEUED, MESSAGE_SENT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_c_states_are_the_ones_the_schema_allows),
        cmocka_unit_test(test_the_sql_literals_spell_the_names),
        cmocka_unit_test(test_no_transition_leaves_an_ended_state),
        cmocka_unit_test(test_the_transitions_the_ledger_performs_are_in_the_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
