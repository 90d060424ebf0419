/* The loop runs the jobs the folders registered (pruning, imports, the scheduler: each at its
 * own interval) and sends due messages, looking for work every second. */
#include "sender/worker.h"

#include <time.h>

#include "core/log.h"
#include "sender/send_loop.h"

#define IMPORT_POLL_SECONDS 1

/* Sends batches while messages are due (sender/send_loop.c owns them). */
static void run_sends(worker_t *w, send_loop *sender)
{
    mc_error err;
    int rc = 0;
    while (!__atomic_load_n(&w->stopping, __ATOMIC_RELAXED) &&
           (rc = send_loop_once(sender, &err)) == 1) {
    }
    if (rc < 0) log_warn("worker: send: %s", err.message);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    send_loop sender;
    send_loop_init(&sender, w->app);
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        pthread_mutex_unlock(&w->lock);
        app_jobs_run_due(&w->jobs, w->app, &w->stopping);
        run_sends(w, &sender);
        pthread_mutex_lock(&w->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += IMPORT_POLL_SECONDS;
        while (!w->stopping && !w->woken &&
               pthread_cond_timedwait(&w->wake, &w->lock, &until) == 0) {
        }
        w->woken = false;
    }
    pthread_mutex_unlock(&w->lock);
    send_loop_free(&sender);
    return NULL;
}

int worker_start(worker_t *w, app_t *app, mc_error *err)
{
    w->app = app;
    w->stopping = false;
    w->woken = false;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return mc_error_set(err, 500, "worker", "", "cannot start the worker thread");
    __atomic_store_n(&w->running, true, __ATOMIC_RELEASE); /* read by worker_wake() */
    return 0;
}

void worker_wake(worker_t *w)
{
    if (!__atomic_load_n(&w->running, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&w->lock);
    w->woken = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void worker_stop(worker_t *w)
{
    if (!w->running) return;
    pthread_mutex_lock(&w->lock);
    __atomic_store_n(&w->stopping, true, __ATOMIC_RELAXED); /* read by a running import */
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    w->running = false;
}
