/* The worker loop: background work of a mailcast process. It runs inside `mailcast serve`
 * (unless --no-worker) and alone in `mailcast worker`, and stops when asked. */
#ifndef MC_SENDER_WORKER_H
#define MC_SENDER_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "app/app.h"
#include "app/jobs.h"
#include "db/listen.h"

/* Zero it, add the periodic jobs to jobs (each folder's *_register_jobs()), then start it. */
typedef struct {
    app_jobs jobs; /* run by the loop in the order added, each at its own interval */
    app_t *app;
    pthread_t thread;
    db_listener *listener; /* LISTENs for queued work; worker_wake() and worker_stop() poke it */
    bool stopping;
    bool running;
} worker_t;

/* Starts the loop on its own thread, running w->jobs and sending due messages. returns 0, or -1
 * with err set. Stop with worker_stop(). */
int worker_start(worker_t *w, app_t *app, mc_error *err);
/* Makes the loop look for work now rather than at its next poll (a job was just queued). Safe
 * from any thread while the loop runs, and a no-op before worker_start(). */
void worker_wake(worker_t *w);
/* Asks the loop to stop and waits for it. */
void worker_stop(worker_t *w);

#endif
