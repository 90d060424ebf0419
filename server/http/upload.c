/* One temporary file per file part, named by mkstemp in the upload folder. The post processor
 * hands parts over in pieces of any size; pieces of one part arrive in order. */
#include "http/upload.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"

#define UPLOAD_PARTS 8

typedef struct {
    char *name;
    char *filename; /* NULL for a plain field */
    char *path;     /* temporary file of a file part */
    FILE *file;
    buf_t value; /* a plain field's value */
    bool claimed;
} upload_part;

struct http_upload {
    struct MHD_PostProcessor *pp;
    char *dir;
    size_t max_bytes;
    size_t received;
    upload_part parts[UPLOAD_PARTS];
    int part_count;
    int status; /* 0, or the HTTP status of the first problem */
    char message[200];
};

static void set_error(http_upload *u, int status, const char *message)
{
    if (u->status) return;
    u->status = status;
    snprintf(u->message, sizeof u->message, "%s", message);
}

static upload_part *find_part(http_upload *u, const char *name)
{
    for (int i = 0; i < u->part_count; i++)
        if (!strcmp(u->parts[i].name, name)) return &u->parts[i];
    return NULL;
}

static upload_part *open_part(http_upload *u, const char *name, const char *filename)
{
    upload_part *p = find_part(u, name);
    if (p) return p;
    if (u->part_count == UPLOAD_PARTS) {
        set_error(u, 400, "the form has too many parts");
        return NULL;
    }
    p = &u->parts[u->part_count++];
    memset(p, 0, sizeof *p);
    p->name = xstrdup(name);
    if (filename) {
        p->filename = xstrdup(filename);
        buf_t path = BUF_INIT;
        buf_appendf(&path, "%s/upload-XXXXXX", u->dir);
        p->path = buf_detach(&path, NULL);
        int fd = mkstemp(p->path);
        p->file = fd >= 0 ? fdopen(fd, "wb") : NULL;
        if (!p->file) {
            log_error("upload: cannot create a file in %s: %s", u->dir, strerror(errno));
            set_error(u, 500, "the server cannot store the upload");
        }
    }
    return p;
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
    (void)kind, (void)content_type, (void)transfer_encoding, (void)off;
    http_upload *u = cls;
    if (u->status || !key) return u->status ? MHD_NO : MHD_YES;
    upload_part *p = open_part(u, key, filename);
    if (!p || u->status) return MHD_NO;
    if (p->path) {
        if (size && fwrite(data, 1, size, p->file) != size) {
            log_error("upload: write failed: %s", strerror(errno));
            set_error(u, 500, "the server cannot store the upload");
            return MHD_NO;
        }
    } else if (p->value.n + size > UPLOAD_FIELD_MAX) {
        set_error(u, 413, "a form field is larger than 64 KiB");
        return MHD_NO;
    } else {
        buf_append(&p->value, data, size);
    }
    return MHD_YES;
}

http_upload *http_upload_new(struct MHD_Connection *connection, const char *dir, size_t max_bytes)
{
    http_upload *u = xcalloc(1, sizeof *u);
    u->dir = xstrdup(dir);
    u->max_bytes = max_bytes;
    u->pp = MHD_create_post_processor(connection, 65536, on_part, u);
    if (!u->pp) set_error(u, 400, "the body must be multipart/form-data");
    return u;
}

void http_upload_feed(http_upload *u, const char *data, size_t n)
{
    u->received += n;
    if (u->received > u->max_bytes) set_error(u, 413, "the upload is larger than allowed");
    if (u->status) return;
    if (MHD_post_process(u->pp, data, n) != MHD_YES)
        set_error(u, 400, "the multipart/form-data body is malformed");
}

void http_upload_free(http_upload *u)
{
    if (!u) return;
    if (u->pp) MHD_destroy_post_processor(u->pp);
    for (int i = 0; i < u->part_count; i++) {
        upload_part *p = &u->parts[i];
        if (p->file) fclose(p->file);
        if (p->path && !p->claimed) unlink(p->path);
        free(p->name);
        free(p->filename);
        free(p->path);
        buf_free(&p->value);
    }
    free(u->dir);
    free(u);
}

int http_upload_status(http_request *req, mc_error *err)
{
    http_upload *u = req->upload;
    if (!u) return mc_error_set(err, 400, "invalid_body", "body", "the body must be a form upload");
    if (u->status == 0 && u->pp) {
        /* flushes the last part; files are closed so their bytes are on disk */
        if (MHD_destroy_post_processor(u->pp) != MHD_YES)
            set_error(u, 400, "the multipart/form-data body ends too early");
        u->pp = NULL;
        for (int i = 0; i < u->part_count && !u->status; i++)
            if (u->parts[i].file) {
                if (fclose(u->parts[i].file) != 0)
                    set_error(u, 500, "the server cannot store the upload");
                u->parts[i].file = NULL;
            }
    }
    if (u->status)
        return mc_error_set(err, u->status, u->status == 413 ? "body_too_large" : "invalid_body",
                            "body", "%s", u->message);
    return 0;
}

const char *http_upload_file(http_request *req, const char *name, const char **filename)
{
    upload_part *p = req->upload ? find_part(req->upload, name) : NULL;
    if (!p || !p->path) return NULL;
    if (filename) *filename = p->filename;
    return p->path;
}

const char *http_upload_field(http_request *req, const char *name)
{
    upload_part *p = req->upload ? find_part(req->upload, name) : NULL;
    if (!p || p->path) return NULL;
    return buf_cstr(&p->value);
}

int http_upload_claim(http_request *req, const char *name, const char *dest, mc_error *err)
{
    upload_part *p = req->upload ? find_part(req->upload, name) : NULL;
    if (!p || !p->path) return mc_error_set(err, 400, "invalid_field", name, "no file part");
    if (rename(p->path, dest) < 0) {
        log_error("upload: cannot move %s to %s: %s", p->path, dest, strerror(errno));
        return mc_error_set(err, 500, "storage", "", "the server cannot store the upload");
    }
    p->claimed = true;
    return 0;
}
