/* The router and docs/api/openapi.yaml list the same routes, methods included, both ways: the
 * dashboard and API clients are generated from that file, so a route missing there does not
 * exist for them, and a path or method there with no route answers 404 or 405. They also agree
 * on each route's role (x-mailcast-role), and no route is without one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "auth/roles.h"
#include "core/buf.h"

#define MAX_ROUTES 512

typedef struct {
    char entries[MAX_ROUTES][160];
    char roles[MAX_ROUTES][16]; /* "" when none is declared */
    int count;
    int unreadable; /* lines under a path that are neither an operation nor a known field */
} route_set;

static int contains(const route_set *s, const char *entry)
{
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->entries[i], entry)) return 1;
    return 0;
}

/* adds "METHOD /path"; a second copy of an entry counts as unreadable, since a file or router
 * that lists a route twice says two different things about it */
static void add(route_set *s, const char *method, const char *path)
{
    assert_true(s->count < MAX_ROUTES);
    char entry[160];
    snprintf(entry, sizeof entry, "%s %s", method, path);
    if (contains(s, entry)) {
        fprintf(stderr, "listed twice: %s\n", entry);
        s->unreadable++;
        return;
    }
    s->roles[s->count][0] = '\0';
    memcpy(s->entries[s->count++], entry, sizeof entry);
}

/* returns the role of an entry, or NULL when the set lacks it */
static const char *role_of(const route_set *s, const char *entry)
{
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->entries[i], entry)) return s->roles[i];
    return NULL;
}

/* Reads "paths:" of an OpenAPI file in block style: "  /path:" then "    get:" lines. Every
 * operation name of OpenAPI 3.0 counts, so a documented HEAD or OPTIONS must be served too;
 * any other key under a path than the path-item fields is counted as unreadable, so that a
 * method spelled in a way this reader does not know fails rather than being skipped. */
static void read_openapi(FILE *f, route_set *s)
{
    static const char *const methods[] = {"get",  "put",     "post",  "delete",
                                          "head", "options", "patch", "trace"};
    static const char *const path_fields[] = {"summary", "description", "parameters", "servers",
                                              "$ref"};
    char line[512], path[300] = "";
    int in_paths = 0, operation = -1; /* the entry whose lines are being read */
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "paths:", 6)) {
            in_paths = 1;
            continue;
        }
        if (!in_paths) continue;
        if (line[0] != ' ' && line[0] != '\n' && line[0] != '#') break;
        char name[256];
        if (sscanf(line, "  /%255[^:]:", name) == 1 && line[2] == '/') {
            snprintf(path, sizeof path, "/%s", name);
            operation = -1;
            continue;
        }
        char role[16];
        if (sscanf(line, "      x-mailcast-role: %15s", role) == 1) {
            if (operation < 0 || s->roles[operation][0]) {
                fprintf(stderr, "x-mailcast-role outside an operation or repeated: %s", line);
                s->unreadable++;
            } else {
                memcpy(s->roles[operation], role, sizeof role);
            }
            continue;
        }
        char key[64];
        if (strncmp(line, "    ", 4) || line[4] == ' ' || line[4] == '#' ||
            sscanf(line + 4, "%63[^:]:", key) != 1)
            continue;
        int known = 0;
        for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
            if (strcmp(key, methods[i])) continue;
            char upper[16];
            size_t n = strlen(methods[i]);
            for (size_t j = 0; j <= n; j++)
                upper[j] = (char)(methods[i][j] >= 'a' ? methods[i][j] - 32 : methods[i][j]);
            add(s, upper, path);
            operation = s->count - 1;
            known = 1;
        }
        for (size_t i = 0; i < sizeof path_fields / sizeof *path_fields; i++)
            known |= !strcmp(key, path_fields[i]);
        if (!known || !path[0]) {
            fprintf(stderr, "not an operation of a path: %s", line);
            s->unreadable++;
        }
    }
}

/* the router's roles by the names the file uses; "undeclared" for an API route with no role or
 * more than one, which no operation can match */
static void read_router(const http_router *router, route_set *s)
{
    for (size_t i = 0; i < router->count; i++) {
        add(s, router->routes[i].method, router->routes[i].pattern);
        int role = api_route_role(&router->routes[i]);
        snprintf(s->roles[s->count - 1], sizeof s->roles[0], "%s",
                 role < 0            ? "undeclared"
                 : role == ROLE_NONE ? "public"
                                     : role_name(role));
    }
}

/* returns how many routes both sides list with different roles (or none in the file) */
static int role_differences(const route_set *documented, const route_set *served)
{
    int different = 0;
    for (int i = 0; i < served->count; i++) {
        const char *role = role_of(documented, served->entries[i]);
        if (role && strcmp(role, served->roles[i])) {
            fprintf(stderr, "%s: the router says %s, openapi.yaml says '%s'\n", served->entries[i],
                    served->roles[i], role);
            different++;
        }
    }
    return different;
}

/* returns how many entries one side has and the other lacks, plus the unreadable lines */
static int differences(const route_set *documented, const route_set *served)
{
    int missing = documented->unreadable + served->unreadable;
    for (int i = 0; i < served->count; i++)
        if (!contains(documented, served->entries[i])) {
            fprintf(stderr, "served but not in openapi.yaml: %s\n", served->entries[i]);
            missing++;
        }
    for (int i = 0; i < documented->count; i++)
        if (!contains(served, documented->entries[i])) {
            fprintf(stderr, "in openapi.yaml but not served: %s\n", documented->entries[i]);
            missing++;
        }
    return missing;
}

static void noop(http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

/* compares a small router (GET /a/{id} for viewers, POST /a/{id} for editors) with an OpenAPI
 * text: the routes, or when roles is set the roles */
static int sample_differences(const char *yaml, unsigned get_flags, bool roles)
{
    static route_set documented, served;
    memset(&documented, 0, sizeof documented);
    memset(&served, 0, sizeof served);
    FILE *f = fmemopen((void *)yaml, strlen(yaml), "r");
    assert_non_null(f);
    read_openapi(f, &documented);
    fclose(f);
    http_router router = {0};
    http_router_add(&router, "GET", "/a/{id}", noop, get_flags);
    http_router_add(&router, "POST", "/a/{id}", noop, ROUTE_API | ROUTE_EDITOR);
    read_router(&router, &served);
    http_router_free(&router);
    return roles ? role_differences(&documented, &served) : differences(&documented, &served);
}

static int differences_from_sample(const char *yaml)
{
    return sample_differences(yaml, ROUTE_API | ROUTE_VIEWER, false);
}

static const char ROLES_SAMPLE[] = "paths:\n"
                                   "  /a/{id}:\n"
                                   "    get:\n"
                                   "      summary: x\n"
                                   "      x-mailcast-role: viewer\n"
                                   "    post:\n"
                                   "      x-mailcast-role: editor\n"
                                   "      summary: y\n";

static void test_router_and_openapi_list_the_same_routes(void **state)
{
    (void)state;
    static route_set documented, served;
    FILE *f = fopen(MAILCAST_SOURCE_DIR "/docs/api/openapi.yaml", "r");
    assert_non_null(f);
    read_openapi(f, &documented);
    fclose(f);
    http_router router = {0};
    api_routes_register(&router);
    read_router(&router, &served);
    http_router_free(&router);
    assert_int_equal(differences(&documented, &served), 0);
    assert_int_equal(role_differences(&documented, &served), 0);
    assert_true(served.count > 0);
}

static void test_every_route_declares_one_role(void **state)
{
    (void)state;
    http_router router = {0};
    api_routes_register(&router);
    for (size_t i = 0; i < router.count; i++) {
        if (api_route_role(&router.routes[i]) < 0)
            fprintf(stderr, "no role: %s %s\n", router.routes[i].method, router.routes[i].pattern);
        assert_true(api_route_role(&router.routes[i]) >= 0);
    }
    http_router_free(&router);
}

static void test_a_route_role_is_public_or_exactly_one_role(void **state)
{
    (void)state;
    http_route route = {"GET", "/x", noop, 0};
    assert_int_equal(api_route_role(&route), ROLE_NONE);
    route.flags = ROUTE_API | ROUTE_PUBLIC;
    assert_int_equal(api_route_role(&route), ROLE_NONE);
    route.flags = ROUTE_API | ROUTE_ADMIN;
    assert_int_equal(api_route_role(&route), ROLE_ADMIN);
    route.flags = ROUTE_API;
    assert_int_equal(api_route_role(&route), -1);
    route.flags = ROUTE_API | ROUTE_VIEWER | ROUTE_EDITOR;
    assert_int_equal(api_route_role(&route), -1);
    route.flags = ROUTE_QUIET | ROUTE_VIEWER; /* a role on a route that checks no credentials */
    assert_int_equal(api_route_role(&route), -1);
}

static void test_the_same_roles_compare_equal(void **state)
{
    (void)state;
    assert_int_equal(sample_differences(ROLES_SAMPLE, ROUTE_API | ROUTE_VIEWER, true), 0);
}

static void test_a_different_role_in_the_file_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(sample_differences(ROLES_SAMPLE, ROUTE_API | ROUTE_ADMIN, true), 1);
    assert_int_equal(sample_differences(ROLES_SAMPLE, 0, true), 1); /* public */
}

static void test_a_route_without_a_role_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(sample_differences(ROLES_SAMPLE, ROUTE_API, true), 1);
}

static void test_an_operation_without_x_mailcast_role_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(sample_differences("paths:\n  /a/{id}:\n    get:\n      summary: x\n"
                                        "    post:\n      x-mailcast-role: editor\n",
                                        ROUTE_API | ROUTE_VIEWER, true),
                     1);
}

static void test_the_same_paths_and_methods_compare_equal(void **state)
{
    (void)state;
    assert_int_equal(differences_from_sample("paths:\n"
                                             "  /a/{id}:\n"
                                             "    parameters:\n"
                                             "      - name: id\n"
                                             "    get:\n"
                                             "      summary: x\n"
                                             "    post:\n"
                                             "      summary: y\n"
                                             "components:\n"
                                             "  /b:\n"
                                             "    get:\n"),
                     0);
}

static void test_a_route_missing_from_the_file_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(differences_from_sample("paths:\n  /a/{id}:\n    get:\n      summary: x\n"),
                     1);
}

static void test_a_method_in_the_file_with_no_route_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(differences_from_sample("paths:\n  /a/{id}:\n    get: {}\n    post: {}\n"
                                             "    delete: {}\n    head: {}\n"),
                     2);
}

static void test_a_path_in_the_file_with_no_route_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(differences_from_sample("paths:\n  /a/{id}:\n    get: {}\n    post: {}\n"
                                             "  /a/{name}:\n    get: {}\n"),
                     1);
}

static void test_an_unknown_key_under_a_path_or_a_repeated_method_is_a_difference(void **state)
{
    (void)state;
    assert_int_equal(differences_from_sample("paths:\n  /a/{id}:\n    GET: {}\n    post: {}\n"), 2);
    assert_int_equal(differences_from_sample("paths:\n  /a/{id}:\n    get: {}\n    post: {}\n"
                                             "    get: {}\n"),
                     1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_and_openapi_list_the_same_routes),
        cmocka_unit_test(test_every_route_declares_one_role),
        cmocka_unit_test(test_a_route_role_is_public_or_exactly_one_role),
        cmocka_unit_test(test_the_same_roles_compare_equal),
        cmocka_unit_test(test_a_different_role_in_the_file_is_a_difference),
        cmocka_unit_test(test_a_route_without_a_role_is_a_difference),
        cmocka_unit_test(test_an_operation_without_x_mailcast_role_is_a_difference),
        cmocka_unit_test(test_the_same_paths_and_methods_compare_equal),
        cmocka_unit_test(test_a_route_missing_from_the_file_is_a_difference),
        cmocka_unit_test(test_a_method_in_the_file_with_no_route_is_a_difference),
        cmocka_unit_test(test_a_path_in_the_file_with_no_route_is_a_difference),
        cmocka_unit_test(test_an_unknown_key_under_a_path_or_a_repeated_method_is_a_difference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
