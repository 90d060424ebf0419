/* Route matching: literal segments, {parameters}, 404 versus 405. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http/router.h"

static void handler(http_request *req, void *ctx)
{
    (void)req;
    (void)ctx;
}

static http_router make_router(void)
{
    http_router r = {0};
    http_router_add(&r, "GET", "/api/v1/lists", handler, 0);
    http_router_add(&r, "GET", "/api/v1/lists/{id}", handler, 0);
    http_router_add(&r, "POST", "/api/v1/lists/{id}/subscribers", handler, 0);
    http_router_add(&r, "DELETE", "/api/v1/lists/{id}", handler, 0);
    return r;
}

static void test_literal_route_matches_exactly(void **state)
{
    (void)state;
    http_router r = make_router();
    str_t params[HTTP_MAX_PARAMS];
    int n;
    assert_int_equal(http_router_match(&r, "GET", "/api/v1/lists", params, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(http_router_match(&r, "GET", "/api/v1/listsx", params, &n), ROUTER_NOT_FOUND);
    assert_int_equal(http_router_match(&r, "GET", "/api/v1/lists/", params, &n), ROUTER_NOT_FOUND);
    http_router_free(&r);
}

static void test_parameters_are_captured(void **state)
{
    (void)state;
    http_router r = make_router();
    str_t params[HTTP_MAX_PARAMS];
    int n;
    assert_int_equal(http_router_match(&r, "POST", "/api/v1/lists/42/subscribers", params, &n), 2);
    assert_int_equal(n, 1);
    assert_true(str_eq_cstr(params[0], "42"));
    http_router_free(&r);
}

static void test_known_path_with_other_method_is_405(void **state)
{
    (void)state;
    http_router r = make_router();
    str_t params[HTTP_MAX_PARAMS];
    int n;
    assert_int_equal(http_router_match(&r, "PUT", "/api/v1/lists/7", params, &n),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_int_equal(http_router_match(&r, "DELETE", "/api/v1/lists/7", params, &n), 3);
    http_router_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_route_matches_exactly),
        cmocka_unit_test(test_parameters_are_captured),
        cmocka_unit_test(test_known_path_with_other_method_is_405),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
