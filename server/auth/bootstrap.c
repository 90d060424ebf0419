/* Creating the first admin exactly once, even when two servers start together. */
#include "auth/bootstrap.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/users.h"
#include "core/log.h"
#include "core/secret.h"
#include "db/query.h"

static void save_password(const char *data_dir, const char *password)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/initial-admin-password", data_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn("cannot save the initial admin password in %s", path);
        return;
    }
    char line[BOOTSTRAP_PASSWORD_MAX + 2];
    int n = snprintf(line, sizeof line, "%s\n", password);
    if (write(fd, line, (size_t)n) != n) log_warn("cannot write %s", path);
    close(fd);
}

int admin_bootstrap(PGconn *conn, const char *data_dir, bool *created,
                    char password[BOOTSTRAP_PASSWORD_MAX], mc_error *err)
{
    *created = false;
    /* the lock makes "count users, then create one" atomic across processes */
    if (db_begin(conn, err) < 0) return -1;
    if (db_exec(conn, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", 0, NULL, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    long long count = user_count(conn, err);
    if (count != 0) {
        db_rollback(conn);
        return count < 0 ? -1 : 0;
    }
    secret_random_token("", 18, password, BOOTSTRAP_PASSWORD_MAX);
    long long id;
    if (user_create(conn, BOOTSTRAP_ADMIN_EMAIL, password, ROLE_ADMIN, &id, err) < 0 ||
        db_commit(conn, err) < 0) {
        db_rollback(conn);
        return -1;
    }
    *created = true;
    save_password(data_dir, password);
    return 0;
}
