/* Starting, sharing and stopping the private PostgreSQL cluster.
 *
 * PostgreSQL refuses to run as root, and mailcast is often started as root (scripts/run, CI):
 * then the cluster runs as the system user "mailcast" (created when missing), which must own
 * the cluster folder and be able to traverse every folder above it. When the data folder sits
 * somewhere that user cannot reach (a checkout under /root), the cluster lives under
 * /var/lib/mailcast instead and <data_dir>/pg is a symbolic link to it. */
#include "db/embedded.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/process.h"

#define CLUSTER_USER  "mailcast"
#define DATABASE_NAME "mailcast"
#define PG_BIN_ROOT   "/usr/lib/postgresql"

typedef struct {
    bool as_root; /* commands run through runuser as CLUSTER_USER */
    uid_t uid;    /* owner of the cluster files */
    gid_t gid;
    char bin_dir[PATH_MAX];
} cluster_runner;

static int make_dir(const char *path, mode_t mode, mc_error *err)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
    return mc_error_set(err, 500, "embedded_db", path, "cannot create %s: %s", path,
                        strerror(errno));
}

static int make_dirs(const char *path, mode_t mode, mc_error *err)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (make_dir(tmp, 0755, err) < 0) return -1;
        *p = '/';
    }
    return make_dir(tmp, mode, err);
}

/* Newest installed server version, e.g. /usr/lib/postgresql/15/bin. */
static int find_server_binaries(char *out, size_t cap, mc_error *err)
{
    DIR *d = opendir(PG_BIN_ROOT);
    long best = -1;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            char *end;
            long v = strtol(e->d_name, &end, 10);
            if (*end || v <= best) continue;
            char initdb[PATH_MAX];
            snprintf(initdb, sizeof initdb, "%s/%ld/bin/initdb", PG_BIN_ROOT, v);
            if (access(initdb, X_OK) == 0) best = v;
        }
        closedir(d);
    }
    if (best < 0)
        return mc_error_set(err, 500, "embedded_db", "database.url",
                            "PostgreSQL server binaries not found under %s: install the Debian "
                            "package postgresql-15 (apt-get install postgresql-15), or set "
                            "[database] url to an existing server",
                            PG_BIN_ROOT);
    snprintf(out, cap, "%s/%ld/bin", PG_BIN_ROOT, best);
    return 0;
}

static int ensure_cluster_user(cluster_runner *r, mc_error *err)
{
    struct passwd *pw = getpwnam(CLUSTER_USER);
    if (!pw) {
        char *argv[] = {"useradd",           "--system",     "--no-create-home",
                        "--home-dir",        "/nonexistent", "--shell",
                        "/usr/sbin/nologin", CLUSTER_USER,   NULL};
        buf_t out = BUF_INIT;
        int rc = process_run(argv, &out);
        if (rc != 0 && !getpwnam(CLUSTER_USER)) {
            mc_error_set(err, 500, "embedded_db", "", "cannot create the system user %s: %s",
                         CLUSTER_USER, buf_cstr(&out));
            buf_free(&out);
            return -1;
        }
        buf_free(&out);
        log_info("created system user %s to run the embedded PostgreSQL", CLUSTER_USER);
        pw = getpwnam(CLUSTER_USER);
        if (!pw)
            return mc_error_set(err, 500, "embedded_db", "", "system user %s not found",
                                CLUSTER_USER);
    }
    r->uid = pw->pw_uid;
    r->gid = pw->pw_gid;
    return 0;
}

/* Runs a PostgreSQL program as the cluster's user; output collects what it printed. */
static int run_as_cluster_user(const cluster_runner *r, const char *program, char *const args[],
                               buf_t *output)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r->bin_dir, program);
    char *argv[32];
    int n = 0;
    if (r->as_root) {
        argv[n++] = "runuser";
        argv[n++] = "-u";
        argv[n++] = CLUSTER_USER;
        argv[n++] = "--";
    }
    argv[n++] = path;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return process_run(argv, output);
}

/* Whether the cluster user can reach dir: every folder above it must be searchable. */
static bool reachable_by(const cluster_runner *r, const char *dir)
{
    if (!r->as_root) return true;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (;;) {
        struct stat st;
        if (stat(tmp, &st) < 0) return false;
        bool ok = (st.st_uid == r->uid)   ? (st.st_mode & S_IXUSR)
                  : (st.st_gid == r->gid) ? (st.st_mode & S_IXGRP)
                                          : (st.st_mode & S_IXOTH);
        if (!ok) return false;
        char *slash = strrchr(tmp, '/');
        if (!slash || slash == tmp) break;
        *slash = '\0';
    }
    return true;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int copy_path(char *dst, size_t cap, const char *src, mc_error *err)
{
    size_t n = strlen(src);
    if (n >= cap)
        return mc_error_set(err, 500, "embedded_db", "paths.data_dir", "the path %s is too long",
                            src);
    memcpy(dst, src, n + 1);
    return 0;
}

/* Decides where the cluster lives and makes sure the folder exists with the right owner. */
static int prepare_cluster_dir(const cluster_runner *r, const char *data_dir_abs, char *pg_dir,
                               size_t cap, mc_error *err)
{
    char link_path[PATH_MAX + 8];
    snprintf(link_path, sizeof link_path, "%s/pg", data_dir_abs);
    char target[PATH_MAX];
    ssize_t len = readlink(link_path, target, sizeof target - 1);
    if (len > 0) {
        target[len] = '\0';
        if (copy_path(pg_dir, cap, target, err) < 0) return -1;
    } else if (reachable_by(r, data_dir_abs)) {
        if (copy_path(pg_dir, cap, link_path, err) < 0) return -1;
    } else {
        snprintf(pg_dir, cap, "/var/lib/mailcast/pg-%016llx",
                 (unsigned long long)fnv1a(data_dir_abs));
        if (make_dirs("/var/lib/mailcast", 0755, err) < 0) return -1;
        if (make_dir(pg_dir, 0700, err) < 0) return -1;
        if (symlink(pg_dir, link_path) < 0 && errno != EEXIST)
            return mc_error_set(err, 500, "embedded_db", link_path, "cannot link %s: %s", link_path,
                                strerror(errno));
        log_info("the cluster user cannot reach %s; the embedded PostgreSQL lives in %s",
                 data_dir_abs, pg_dir);
    }
    if (make_dir(pg_dir, 0700, err) < 0) return -1;
    char socket_dir[PATH_MAX + 8];
    snprintf(socket_dir, sizeof socket_dir, "%s/socket", pg_dir);
    if (make_dir(socket_dir, 0700, err) < 0) return -1;
    if (r->as_root) {
        if (chown(pg_dir, r->uid, r->gid) < 0 || chown(socket_dir, r->uid, r->gid) < 0)
            return mc_error_set(err, 500, "embedded_db", pg_dir, "cannot hand %s to %s: %s", pg_dir,
                                CLUSTER_USER, strerror(errno));
    }
    return 0;
}

static int append_file(const char *path, const char *text, mc_error *err)
{
    FILE *f = fopen(path, "a");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        return mc_error_set(err, 500, "embedded_db", path, "cannot write %s: %s", path,
                            strerror(errno));
    return 0;
}

/* Writes a value into postgresql.conf as a quoted literal. */
static void conf_quoted(buf_t *conf, const char *key, const char *value)
{
    buf_appendf(conf, "%s = '", key);
    for (const char *p = value; *p; p++) {
        if (*p == '\'') buf_putc(conf, '\'');
        buf_putc(conf, *p);
    }
    buf_append_cstr(conf, "'\n");
}

static int init_cluster(const cluster_runner *r, const char *pg_dir, const char *socket_dir,
                        mc_error *err)
{
    char data[PATH_MAX + 8], version[PATH_MAX + 32];
    snprintf(data, sizeof data, "%s/data", pg_dir);
    snprintf(version, sizeof version, "%s/PG_VERSION", data);
    if (access(version, F_OK) == 0) return 0;
    log_info("initializing the embedded PostgreSQL cluster in %s", data);
    char *args[] = {"-D",    data, "-U",   CLUSTER_USER,       "-A",
                    "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions",
                    NULL};
    buf_t out = BUF_INIT;
    int rc = run_as_cluster_user(r, "initdb", args, &out);
    if (rc != 0) {
        mc_error_set(err, 500, "embedded_db", data, "initdb failed (status %d): %s", rc,
                     buf_cstr(&out));
        buf_free(&out);
        return -1;
    }
    buf_free(&out);
    buf_t conf = BUF_INIT;
    buf_append_cstr(&conf, "\n# mailcast: socket only, inside the data folder\n"
                           "listen_addresses = ''\nunix_socket_permissions = 0700\n");
    conf_quoted(&conf, "unix_socket_directories", socket_dir);
    char conf_path[PATH_MAX + 32];
    snprintf(conf_path, sizeof conf_path, "%s/postgresql.conf", data);
    rc = append_file(conf_path, buf_cstr(&conf), err);
    buf_free(&conf);
    return rc;
}

static bool cluster_running(const cluster_runner *r, const char *data)
{
    char *args[] = {"status", "-D", (char *)data, NULL};
    return run_as_cluster_user(r, "pg_ctl", args, NULL) == 0;
}

static int start_cluster(const cluster_runner *r, const char *pg_dir, mc_error *err)
{
    char data[PATH_MAX + 8], log_file[PATH_MAX + 32];
    snprintf(data, sizeof data, "%s/data", pg_dir);
    snprintf(log_file, sizeof log_file, "%s/postgresql.log", pg_dir);
    if (cluster_running(r, data)) return 0;
    log_info("starting the embedded PostgreSQL (log: %s)", log_file);
    char *args[] = {"start", "-D", data, "-l", log_file, "-w", "-t", "120", NULL};
    buf_t out = BUF_INIT;
    int rc = run_as_cluster_user(r, "pg_ctl", args, &out);
    if (rc != 0) {
        mc_error_set(err, 500, "embedded_db", data,
                     "the embedded PostgreSQL did not start (status %d): %s; see %s", rc,
                     buf_cstr(&out), log_file);
        buf_free(&out);
        return -1;
    }
    buf_free(&out);
    return 0;
}

static int create_database(const cluster_runner *r, const char *socket_dir, mc_error *err)
{
    char host[PATH_MAX + 8];
    snprintf(host, sizeof host, "--host=%s", socket_dir);
    char *check_args[] = {host,
                          "-U",
                          CLUSTER_USER,
                          "-d",
                          "postgres",
                          "-tAc",
                          "SELECT 1 FROM pg_database WHERE datname = '" DATABASE_NAME "'",
                          NULL};
    buf_t out = BUF_INIT;
    int rc = run_as_cluster_user(r, "psql", check_args, &out);
    if (rc == 0 && strstr(buf_cstr(&out), "1")) {
        buf_free(&out);
        return 0;
    }
    buf_reset(&out);
    char *create_args[] = {host, "-U", CLUSTER_USER, DATABASE_NAME, NULL};
    rc = run_as_cluster_user(r, "createdb", create_args, &out);
    if (rc != 0) {
        mc_error_set(err, 500, "embedded_db", "", "cannot create database %s: %s", DATABASE_NAME,
                     buf_cstr(&out));
        buf_free(&out);
        return -1;
    }
    buf_free(&out);
    return 0;
}

static int open_lock(const char *data_dir_abs, const char *name, mc_error *err)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", data_dir_abs, name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        mc_error_set(err, 500, "embedded_db", path, "cannot open %s: %s", path, strerror(errno));
    return fd;
}

static int lock_fd(int fd, int op)
{
    while (flock(fd, op) < 0)
        if (errno != EINTR) return -1;
    return 0;
}

static int runner_init(cluster_runner *r, mc_error *err)
{
    memset(r, 0, sizeof *r);
    if (find_server_binaries(r->bin_dir, sizeof r->bin_dir, err) < 0) return -1;
    r->as_root = geteuid() == 0;
    if (r->as_root) return ensure_cluster_user(r, err);
    r->uid = geteuid();
    r->gid = getegid();
    return 0;
}

int db_embedded_acquire(const char *data_dir, db_embedded *out, mc_error *err)
{
    memset(out, 0, sizeof *out);
    out->users_fd = out->start_fd = -1;
    cluster_runner r;
    if (runner_init(&r, err) < 0) return -1;
    if (make_dirs(data_dir, 0755, err) < 0) return -1;
    char data_dir_abs[PATH_MAX];
    if (!realpath(data_dir, data_dir_abs))
        return mc_error_set(err, 500, "embedded_db", data_dir, "cannot resolve %s: %s", data_dir,
                            strerror(errno));

    out->start_fd = open_lock(data_dir_abs, "pg.lock", err);
    if (out->start_fd < 0) return -1;
    out->users_fd = open_lock(data_dir_abs, "pg.users", err);
    if (out->users_fd < 0 || lock_fd(out->start_fd, LOCK_EX) < 0) {
        db_embedded_release(out);
        return -1;
    }
    char pg_dir[PATH_MAX], socket_dir[PATH_MAX + 8];
    int rc = prepare_cluster_dir(&r, data_dir_abs, pg_dir, sizeof pg_dir, err);
    snprintf(socket_dir, sizeof socket_dir, "%s/socket", pg_dir);
    if (rc == 0 && strlen(socket_dir) + sizeof "/.s.PGSQL.5432" > 107)
        rc = mc_error_set(err, 500, "embedded_db", "paths.data_dir",
                          "the socket path %s/.s.PGSQL.5432 is too long for a unix socket; "
                          "choose a shorter [paths] data_dir",
                          socket_dir);
    if (rc == 0) rc = init_cluster(&r, pg_dir, socket_dir, err);
    if (rc == 0) rc = start_cluster(&r, pg_dir, err);
    if (rc == 0) rc = create_database(&r, socket_dir, err);
    if (rc == 0) rc = lock_fd(out->users_fd, LOCK_SH);
    flock(out->start_fd, LOCK_UN);
    if (rc < 0) {
        db_embedded_release(out);
        return -1;
    }
    buf_t dsn = BUF_INIT;
    buf_appendf(&dsn, "host='%s' dbname=" DATABASE_NAME " user=" CLUSTER_USER, socket_dir);
    out->dsn = buf_detach(&dsn, NULL);
    out->pg_dir = xstrdup(pg_dir);
    return 0;
}

void db_embedded_release(db_embedded *pg)
{
    if (pg->dsn && pg->start_fd >= 0 && lock_fd(pg->start_fd, LOCK_EX) == 0) {
        /* holding the start lock, an exclusive users lock means no one else is connected */
        if (flock(pg->users_fd, LOCK_EX | LOCK_NB) == 0) {
            cluster_runner r;
            mc_error err;
            if (runner_init(&r, &err) == 0) {
                char data[PATH_MAX + 8];
                snprintf(data, sizeof data, "%s/data", pg->pg_dir);
                char *args[] = {"stop", "-D", data, "-m", "fast", "-w", "-t", "60", NULL};
                buf_t out = BUF_INIT;
                log_info("stopping the embedded PostgreSQL");
                if (run_as_cluster_user(&r, "pg_ctl", args, &out) != 0)
                    log_warn("stopping the embedded PostgreSQL failed: %s", buf_cstr(&out));
                buf_free(&out);
            }
        }
        flock(pg->start_fd, LOCK_UN);
    }
    if (pg->users_fd >= 0) close(pg->users_fd);
    if (pg->start_fd >= 0) close(pg->start_fd);
    free(pg->dsn);
    free(pg->pg_dir);
    pg->dsn = pg->pg_dir = NULL;
    pg->users_fd = pg->start_fd = -1;
}
