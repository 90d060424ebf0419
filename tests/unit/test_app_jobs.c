/* The worker's job table: every job runs in the first round, then each at its own interval, in
 * the order added; a failing job does not keep the others from running. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "app/jobs.h"

/* the names of the jobs that ran, in order */
static char ran[256];

static int record(const char *name)
{
    strncat(ran, name, sizeof ran - strlen(ran) - 1);
    return 0;
}

static int job_a(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    assert_null(conn); /* added with APP_JOB_OWN_CONNECTION: no pooled connection taken */
    return record("a");
}

static int job_b(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    return record("b");
}

static int job_failing(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms,
                       mc_error *err)
{
    record("f");
    return mc_error_set(err, 500, "test", "", "this job fails");
}

/* asks to be woken in 250 ms */
static int job_soon(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    *wake_ms = 250;
    return record("s");
}

/* asks to be woken in an hour */
static int job_later(app_t *app, PGconn *conn, const bool *stop, long long *wake_ms, mc_error *err)
{
    *wake_ms = 3600000;
    return record("l");
}

static int setup(void **state)
{
    ran[0] = '\0';
    return 0;
}

static void test_every_job_runs_in_the_first_round_in_the_order_added(void **state)
{
    app_jobs jobs = {0};
    app_t app = {0};
    bool stop = false;
    app_jobs_add(&jobs, "b", 60, APP_JOB_OWN_CONNECTION, job_b);
    app_jobs_add(&jobs, "a", 0, APP_JOB_OWN_CONNECTION, job_a);
    app_jobs_run_due(&jobs, &app, &stop);
    assert_string_equal(ran, "ba");
}

static void test_a_job_with_an_interval_waits_for_it_and_one_without_runs_every_round(void **state)
{
    app_jobs jobs = {0};
    app_t app = {0};
    bool stop = false;
    app_jobs_add(&jobs, "b", 3600, APP_JOB_OWN_CONNECTION, job_b);
    app_jobs_add(&jobs, "a", 0, APP_JOB_OWN_CONNECTION, job_a);
    app_jobs_run_due(&jobs, &app, &stop);
    app_jobs_run_due(&jobs, &app, &stop);
    assert_string_equal(ran, "baa");
    jobs.jobs[0].last_run -= 3600; /* as if the hour had passed */
    app_jobs_run_due(&jobs, &app, &stop);
    assert_string_equal(ran, "baaba");
}

static void test_a_failing_job_does_not_keep_the_next_from_running(void **state)
{
    app_jobs jobs = {0};
    app_t app = {0};
    bool stop = false;
    app_jobs_add(&jobs, "failing", 0, APP_JOB_OWN_CONNECTION, job_failing);
    app_jobs_add(&jobs, "a", 0, APP_JOB_OWN_CONNECTION, job_a);
    app_jobs_run_due(&jobs, &app, &stop);
    app_jobs_run_due(&jobs, &app, &stop);
    assert_string_equal(ran, "fafa");
}

static void test_no_job_runs_once_the_worker_is_stopping(void **state)
{
    app_jobs jobs = {0};
    app_t app = {0};
    bool stop = true;
    app_jobs_add(&jobs, "a", 0, APP_JOB_OWN_CONNECTION, job_a);
    app_jobs_run_due(&jobs, &app, &stop);
    assert_string_equal(ran, "");
}

static void test_the_round_returns_the_soonest_wake_up_a_job_asked_for(void **state)
{
    app_jobs jobs = {0};
    app_t app = {0};
    bool stop = false;
    app_jobs_add(&jobs, "a", 0, APP_JOB_OWN_CONNECTION, job_a);
    assert_int_equal(app_jobs_run_due(&jobs, &app, &stop), -1); /* nobody asked */
    app_jobs_add(&jobs, "later", 0, APP_JOB_OWN_CONNECTION, job_later);
    app_jobs_add(&jobs, "soon", 0, APP_JOB_OWN_CONNECTION, job_soon);
    assert_int_equal(app_jobs_run_due(&jobs, &app, &stop), 250);
    assert_string_equal(ran, "aals");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_job_runs_in_the_first_round_in_the_order_added, setup),
        cmocka_unit_test_setup(
            test_a_job_with_an_interval_waits_for_it_and_one_without_runs_every_round, setup),
        cmocka_unit_test_setup(test_a_failing_job_does_not_keep_the_next_from_running, setup),
        cmocka_unit_test_setup(test_no_job_runs_once_the_worker_is_stopping, setup),
        cmocka_unit_test_setup(test_the_round_returns_the_soonest_wake_up_a_job_asked_for, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
