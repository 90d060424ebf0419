/* Each message is written to a temporary name in the outbox and renamed into place, so a
 * reader never sees half a file. */
#include "mail/transport_capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

typedef struct {
    mail_transport base;
    char *dir;
} capture_transport;

/* distinguishes files written in the same second by the same process */

static int make_dirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char saved = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0750) < 0 && errno != EEXIST) return -1;
            tmp[i] = saved;
        }
    }
    return 0;
}

/* the id part of "<id@domain>" with anything outside [A-Za-z0-9] dropped, at most 40 */
static void id_for_name(str_t message_id, char *out, size_t size)
{
    size_t w = 0;
    for (size_t i = 0; i < message_id.n && message_id.p[i] != '@' && w + 1 < size && w < 40; i++) {
        char c = message_id.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out[w++] = c;
    }
    if (w == 0) w = (size_t)snprintf(out, size, "message");
    out[w] = '\0';
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int capture_one(const capture_transport *ct, const mail_envelope *m, mail_result *r)
{
    char id[48], stamp[32], final_path[4300], temp_path[4320];
    id_for_name(m->message_id, id, sizeof id);
    /* microseconds make names sort in the order messages were captured; the random part keeps
     * two processes capturing in the same microsecond apart */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t len = strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    snprintf(stamp + len, sizeof stamp - len, ".%06ldZ", now.tv_nsec / 1000);
    unsigned long long seq = randombytes_uniform(1000000u);
    snprintf(final_path, sizeof final_path, "%s/%s-%s-%06llu.eml", ct->dir, stamp, id, seq);
    snprintf(temp_path, sizeof temp_path, "%s/.tmp-%ld-%llu", ct->dir, (long)getpid(), seq);
    int fd = open(temp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        char text[200];
        snprintf(text, sizeof text, "cannot write the outbox: %s", strerror(errno));
        mail_result_set(r, 0, "", text);
        return -1;
    }
    int rc = write_all(fd, m->data.p, m->data.n);
    if (rc == 0) rc = fsync(fd);
    if (close(fd) < 0) rc = -1;
    if (rc == 0) rc = rename(temp_path, final_path);
    if (rc < 0) {
        char text[200];
        snprintf(text, sizeof text, "cannot write the outbox: %s", strerror(errno));
        unlink(temp_path);
        mail_result_set(r, 0, "", text);
        return -1;
    }
    const char *base = strrchr(final_path, '/');
    char text[200];
    snprintf(text, sizeof text, "captured as %.180s", base ? base + 1 : final_path);
    mail_result_set(r, 250, "2.0.0", text);
    return 0;
}

static int capture_send_batch(mail_transport *t, const mail_envelope *msgs, size_t n,
                              mail_result *results, mc_error *err)
{
    capture_transport *ct = (capture_transport *)t;
    if (make_dirs(ct->dir) < 0) {
        for (size_t i = 0; i < n; i++)
            mail_result_set(&results[i], 0, "", "cannot create the outbox folder");
        return mc_error_set(err, 500, "outbox_unwritable", ct->dir,
                            "cannot create the outbox folder %s: %s", ct->dir, strerror(errno));
    }
    size_t i = 0;
    for (; i < n && mail_progress_handing_over(t, i); i++) {
        capture_one(ct, &msgs[i], &results[i]);
        mail_progress_result(t, i, &results[i]);
    }
    for (; i < n; i++)
        mail_result_set(&results[i], 0, "", "kept back: its hand-over could not be recorded");
    return 0;
}

static void capture_free(mail_transport *t)
{
    capture_transport *ct = (capture_transport *)t;
    free(ct->dir);
    free(ct);
}

static const mail_transport_ops CAPTURE_OPS = {"capture", capture_send_batch, capture_free};

mail_transport *transport_capture_new(const char *dir)
{
    capture_transport *t = xcalloc(1, sizeof *t);
    t->base.ops = &CAPTURE_OPS;
    t->dir = xstrdup(dir);
    return &t->base;
}

bool capture_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 5 || n >= sizeof(((capture_entry *)0)->name) || name[0] == '.') return false;
    if (strcmp(name + n - 4, ".eml")) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return strstr(name, "..") == NULL;
}

static int newest_first(const void *a, const void *b)
{
    return strcmp(((const capture_entry *)b)->name, ((const capture_entry *)a)->name);
}

int capture_list(const char *dir, size_t offset, size_t limit, capture_entry **entries,
                 size_t *count, size_t *total, mc_error *err)
{
    *entries = NULL;
    *count = 0;
    *total = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return mc_error_set(err, 500, "outbox_unreadable", "outbox", "cannot read the outbox: %s",
                            strerror(errno));
    }
    capture_entry *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!capture_name_valid(e->d_name)) continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            all = xrealloc(all, cap * sizeof *all);
        }
        memcpy(all[n].name, e->d_name, strlen(e->d_name) + 1); /* length checked above */
        all[n].size = (uint64_t)st.st_size;
        all[n].modified = st.st_mtime;
        n++;
    }
    closedir(d);
    if (n) qsort(all, n, sizeof *all, newest_first);
    *total = n;
    if (offset >= n || limit == 0) {
        free(all);
        return 0;
    }
    size_t take = n - offset < limit ? n - offset : limit;
    memmove(all, all + offset, take * sizeof *all);
    *entries = all;
    *count = take;
    return 0;
}

int capture_read(const char *dir, const char *name, buf_t *out, mc_error *err)
{
    if (!capture_name_valid(name))
        return mc_error_set(err, 400, "invalid_field", "name", "not an outbox message name");
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ELOOP)
            return mc_error_set(err, 404, "not_found", "name", "no outbox message named %s", name);
        return mc_error_set(err, 500, "outbox_unreadable", "name", "cannot read %s: %s", name,
                            strerror(errno));
    }
    char chunk[16384];
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return mc_error_set(err, 500, "outbox_unreadable", "name", "cannot read %s: %s", name,
                                strerror(e));
        }
        if (got == 0) break;
        buf_append(out, chunk, (size_t)got);
    }
    close(fd);
    return 0;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_address(str_t a, str_t b)
{
    if (a.n != b.n || a.n == 0) return false;
    for (size_t i = 0; i < a.n; i++)
        if (ascii_lower(a.p[i]) != ascii_lower(b.p[i])) return false;
    return true;
}

/* the address of a To value: between the last '<' and the next '>', else the trimmed value */
static str_t to_address(str_t value)
{
    for (size_t i = value.n; i > 0; i--) {
        if (value.p[i - 1] != '<') continue;
        for (size_t j = i; j < value.n; j++)
            if (value.p[j] == '>') return str_make(value.p + i, j - i);
        break;
    }
    return str_trim(value);
}

/* the end of the line starting at pos (its '\n', or message.n) */
static size_t line_end(str_t message, size_t pos)
{
    while (pos < message.n && message.p[pos] != '\n')
        pos++;
    return pos;
}

/* the length of a line without its CR */
static size_t without_cr(str_t message, size_t start, size_t end)
{
    return end > start && message.p[end - 1] == '\r' ? end - 1 - start : end - start;
}

bool capture_addressed_to(str_t message, str_t email)
{
    size_t pos = 0;
    while (pos < message.n) {
        size_t end = line_end(message, pos);
        size_t n = without_cr(message, pos, end);
        if (n == 0) return false; /* the empty line ends the header */
        bool is_to = n >= 3 && ascii_lower(message.p[pos]) == 't' &&
                     ascii_lower(message.p[pos + 1]) == 'o' && message.p[pos + 2] == ':';
        if (!is_to) {
            pos = end + 1;
            continue;
        }
        /* the field's value with its continuation lines, unfolded */
        buf_t value = BUF_INIT;
        buf_append(&value, message.p + pos + 3, n - 3);
        pos = end + 1;
        while (pos < message.n && (message.p[pos] == ' ' || message.p[pos] == '\t')) {
            end = line_end(message, pos);
            buf_append(&value, message.p + pos, without_cr(message, pos, end));
            pos = end + 1;
        }
        bool match = same_address(to_address(buf_view(&value)), str_trim(email));
        buf_free(&value);
        if (match) return true;
    }
    return false;
}

/* the header block is all capture_addressed_to reads: a larger one is not ours */
#define CAPTURE_HEADER_MAX 65536

/* reads at most CAPTURE_HEADER_MAX bytes of dir/name into out; returns 0, or -1 with errno */
static int read_head(int dir_fd, const char *name, buf_t *out)
{
    int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    char chunk[8192];
    while (out->n < CAPTURE_HEADER_MAX) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (got == 0) break;
        buf_append(out, chunk, (size_t)got);
    }
    close(fd);
    return 0;
}

int capture_remove_recipient(const char *dir, str_t email, size_t *removed, mc_error *err)
{
    if (removed) *removed = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return 0;
        return mc_error_set(err, 500, "outbox_unreadable", "outbox", "cannot read the outbox: %s",
                            strerror(errno));
    }
    int rc = 0;
    buf_t head = BUF_INIT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!capture_name_valid(e->d_name)) continue;
        buf_reset(&head);
        if (read_head(dirfd(d), e->d_name, &head) < 0) {
            if (errno == ENOENT || errno == ELOOP) continue; /* gone meanwhile, or not a file */
            rc = mc_error_set(err, 500, "outbox_unreadable", "outbox", "cannot read %s: %s",
                              e->d_name, strerror(errno));
            break;
        }
        if (!capture_addressed_to(buf_view(&head), email)) continue;
        if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
            rc = mc_error_set(err, 500, "outbox_unwritable", "outbox", "cannot delete %s: %s",
                              e->d_name, strerror(errno));
            break;
        }
        if (removed) (*removed)++;
    }
    buf_free(&head);
    closedir(d);
    return rc;
}
