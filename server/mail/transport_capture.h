/* The capture transport: with no relay configured, each message is written to
 * <data_dir>/outbox/<UTC time>-<Message-ID hex>-<random>.eml instead of being sent, so a
 * development or demo server never mails anyone and the dashboard can show what would have gone
 * out. capture_list() and capture_read() serve GET /api/v1/outbox and /api/v1/outbox/{name}. */
#ifndef MC_MAIL_TRANSPORT_CAPTURE_H
#define MC_MAIL_TRANSPORT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"
#include "mail/transport.h"

/* returns a transport writing into dir (created, with parents, on first use; copied);
 * caller frees with mail_transport_free(). Each message's result is MAIL_SENT code 250,
 * or MAIL_TEMPORARY code 0 when the file cannot be written. */
mail_transport *transport_capture_new(const char *dir);

typedef struct {
    char name[128];  /* file name, e.g. "20261123T130000Z-1f2e...-000001.eml" */
    uint64_t size;   /* bytes */
    time_t modified; /* seconds since the epoch */
} capture_entry;

/* Lists the .eml files of dir, newest first (by name, which starts with the UTC time),
 * skipping offset entries and returning at most limit. *entries gets a new array the
 * caller frees with free() (NULL when *count is 0); *total gets the number of files.
 * A missing dir is an empty outbox. returns 0, or -1 with err (status 500) when dir
 * cannot be read. */
int capture_list(const char *dir, size_t offset, size_t limit, capture_entry **entries,
                 size_t *count, size_t *total, mc_error *err);
/* Appends the bytes of dir/name to out. name must be a bare file name as capture_list
 * returns it: [A-Za-z0-9._-], ending in ".eml", not starting with '.'; anything else
 * (a '/', "..") is refused with status 400 "invalid_field" before touching the disk.
 * returns 0, or -1 with err: 400 bad name, 404 "not_found", 500 read failure. */
int capture_read(const char *dir, const char *name, buf_t *out, mc_error *err);
/* Deletes every message of dir whose To header holds the address email (its ASCII letters
 * compared in any case, as the subscriber list compares addresses): erasing a person takes
 * their captured copies too. The header is read, not the name, so that a copy is found
 * whatever message it was (campaign, transactional, test) and after its queue row is gone.
 * *removed (may be NULL) gets the number deleted. A missing dir holds nothing.
 * returns 0, or -1 with err (500) when dir cannot be read or a copy cannot be deleted. */
int capture_remove_recipient(const char *dir, str_t email, size_t *removed, mc_error *err);
/* returns true when the header block of a message (up to its first empty line; folded lines
 * unfolded) has a To field whose address, bare or in <...>, is email in any ASCII case */
bool capture_addressed_to(str_t message, str_t email);
/* returns true when name is acceptable to capture_read */
bool capture_name_valid(const char *name);

#endif
