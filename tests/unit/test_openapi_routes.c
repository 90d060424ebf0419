/* The router and docs/api/openapi.yaml list the same routes: the dashboard and API clients
 * are generated from that file, so a route missing there does not exist for them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/buf.h"

#define MAX_ROUTES 512

typedef struct {
    char entries[MAX_ROUTES][160];
    int count;
} route_set;

static void add(route_set *s, const char *method, const char *path)
{
    assert_true(s->count < MAX_ROUTES);
    snprintf(s->entries[s->count++], sizeof s->entries[0], "%s %s", method, path);
}

static int contains(const route_set *s, const char *entry)
{
    for (int i = 0; i < s->count; i++)
        if (!strcmp(s->entries[i], entry)) return 1;
    return 0;
}

/* Reads "paths:" of the OpenAPI file: "  /path:" then "    get:" lines. */
static void read_openapi(route_set *s)
{
    FILE *f = fopen(MAILCAST_SOURCE_DIR "/docs/api/openapi.yaml", "r");
    assert_non_null(f);
    char line[512], path[300] = "";
    int in_paths = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "paths:", 6)) {
            in_paths = 1;
            continue;
        }
        if (!in_paths) continue;
        if (line[0] != ' ' && line[0] != '\n') break;
        char name[256];
        if (sscanf(line, "  /%255[^:]:", name) == 1 && line[2] == '/') {
            snprintf(path, sizeof path, "/%s", name);
            continue;
        }
        static const char *const methods[] = {"get", "post", "put", "patch", "delete"};
        for (size_t i = 0; i < 5; i++) {
            char expected[32];
            snprintf(expected, sizeof expected, "    %s:", methods[i]);
            if (!strncmp(line, expected, strlen(expected)) && path[0]) {
                char upper[16];
                size_t n = strlen(methods[i]);
                for (size_t j = 0; j <= n; j++)
                    upper[j] = (char)(methods[i][j] >= 'a' ? methods[i][j] - 32 : methods[i][j]);
                add(s, upper, path);
            }
        }
    }
    fclose(f);
}

static void test_router_and_openapi_list_the_same_routes(void **state)
{
    (void)state;
    static route_set documented, served;
    read_openapi(&documented);
    http_router router = {0};
    api_routes_register(&router);
    for (size_t i = 0; i < router.count; i++)
        add(&served, router.routes[i].method, router.routes[i].pattern);
    http_router_free(&router);
    int missing = 0;
    for (int i = 0; i < served.count; i++)
        if (!contains(&documented, served.entries[i])) {
            fprintf(stderr, "served but not in openapi.yaml: %s\n", served.entries[i]);
            missing++;
        }
    for (int i = 0; i < documented.count; i++)
        if (!contains(&served, documented.entries[i])) {
            fprintf(stderr, "in openapi.yaml but not served: %s\n", documented.entries[i]);
            missing++;
        }
    assert_int_equal(missing, 0);
    assert_true(served.count > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_and_openapi_list_the_same_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
