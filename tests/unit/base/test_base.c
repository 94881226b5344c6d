/* Tests for src/base: buffers, strings, parsing, base64, map, vector, time, errors, queue. */
#include "test.h"

#include <pthread.h>
#include <unistd.h>

#include "base/base.h"

static void test_buf(void **state)
{
    (void)state;
    struct slu_buf b = {0};
    slu_buf_puts(&b, "abc");
    slu_buf_printf(&b, "-%d-", 42);
    slu_buf_putc(&b, 'x');
    assert_string_equal(b.data, "abc-42-x");
    assert_int_equal(b.len, 8);
    for (int i = 0; i < 1000; i++)
        slu_buf_puts(&b, "0123456789");
    assert_int_equal(b.len, 10008);
    assert_int_equal(b.data[b.len], '\0');
    char *s = slu_buf_steal(&b);
    assert_null(b.data);
    assert_int_equal(strlen(s), 10008);
    free(s);
    slu_buf_release(&b);
}

static void test_parse_numbers(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(slu_parse_i64("123", &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(slu_parse_i64("-9", &v), 0);
    assert_int_equal(v, -9);
    assert_int_not_equal(slu_parse_i64("12x", &v), 0);
    assert_int_not_equal(slu_parse_i64("", &v), 0);
    assert_int_not_equal(slu_parse_i64(" 1", &v), 0);
    assert_int_not_equal(slu_parse_i64("99999999999999999999", &v), 0);
    uint64_t u;
    assert_int_not_equal(slu_parse_u64("-1", &u), 0);
    assert_int_equal(slu_parse_u64("18446744073709551615", &u), 0);
    double d;
    assert_int_equal(slu_parse_double("0.25", &d), 0);
    assert_true(d == 0.25);
}

static void test_split_trim(void **state)
{
    (void)state;
    size_t n;
    char **v = slu_str_split(" a, b ,,c", ',', true, &n);
    assert_int_equal(n, 4);
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], "b");
    assert_string_equal(v[2], "");
    assert_string_equal(v[3], "c");
    assert_null(v[4]);
    slu_strv_free(v);
    assert_true(slu_str_has_prefix("k8s://x", "k8s://"));
    assert_false(slu_str_has_suffix("a.py", ".jar"));
    char small[4];
    assert_int_equal(slu_strlcpy(small, "abcdef", sizeof(small)), 6);
    assert_string_equal(small, "abc");
}

static void test_base64(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        char *e = slu_base64_encode(cases[i][0], strlen(cases[i][0]));
        assert_string_equal(e, cases[i][1]);
        size_t n;
        unsigned char *d = slu_base64_decode(e, &n);
        assert_non_null(d);
        assert_int_equal(n, strlen(cases[i][0]));
        assert_memory_equal(d, cases[i][0], n);
        free(d);
        free(e);
    }
    assert_null(slu_base64_decode("Zm9v!", NULL));
    assert_null(slu_base64_decode("Zg==Zg", NULL));
}

static void test_map(void **state)
{
    (void)state;
    struct slu_map m;
    slu_map_init(&m, free);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        slu_map_put(&m, key, slu_asprintf("v%d", i));
    }
    assert_int_equal(m.len, 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(slu_map_del(&m, key));
    }
    assert_int_equal(m.len, 2500);
    assert_null(slu_map_get(&m, "k0"));
    assert_string_equal(slu_map_get(&m, "k1"), "v1");
    slu_map_put(&m, "k1", slu_strdup("new"));
    assert_string_equal(slu_map_get(&m, "k1"), "new");
    size_t it = 0, count = 0;
    const char *k;
    void *v;
    while (slu_map_next(&m, &it, &k, &v))
        count++;
    assert_int_equal(count, 2500);
    char *taken = slu_map_take(&m, "k3");
    assert_string_equal(taken, "v3");
    free(taken);
    assert_false(slu_map_has(&m, "k3"));
    slu_map_release(&m);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_vec(void **state)
{
    (void)state;
    struct slu_vec v = {0};
    slu_vec_push(&v, slu_strdup("c"));
    slu_vec_push(&v, slu_strdup("a"));
    slu_vec_push(&v, slu_strdup("b"));
    slu_vec_sort(&v, cmp_str);
    assert_string_equal(v.items[0], "a");
    assert_string_equal(v.items[2], "c");
    free(v.items[1]);
    slu_vec_remove_at(&v, 1);
    assert_int_equal(v.len, 2);
    assert_string_equal(v.items[1], "c");
    slu_vec_release(&v, free);
}

static void test_time(void **state)
{
    (void)state;
    char buf[40];
    slu_time_format_rfc3339(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    int64_t ns;
    assert_int_equal(slu_time_parse_rfc3339("2026-11-22T15:03:39Z", &ns), 0);
    slu_time_format_rfc3339(ns / 1000000000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-22T15:03:39Z");
    assert_int_equal(slu_time_parse_rfc3339("2026-11-22T16:03:39.5+01:00", &ns), 0);
    slu_time_format_rfc3339_micro(ns, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-22T15:03:39.500000Z");
    assert_int_not_equal(slu_time_parse_rfc3339("2026-13-22T15:03:39Z", &ns), 0);
    assert_int_not_equal(slu_time_parse_rfc3339("yesterday", &ns), 0);
    assert_true(slu_now_mono_ns() > 0);
}

static void test_err(void **state)
{
    (void)state;
    struct slu_err err = {0};
    assert_int_equal(slu_err_set(&err, SLU_EINVAL, "bad %s", "thing"), SLU_EINVAL);
    slu_err_add_cause(&err, "FieldValueRequired", "spec.x", "Required value");
    slu_err_prefix(&err, "create %s", "pod");
    assert_string_equal(err.msg, "create pod: bad thing");
    assert_int_equal(err.ncauses, 1);
    assert_string_equal(err.causes[0].field, "spec.x");
    struct slu_err other = {0};
    slu_err_move(&other, &err);
    assert_int_equal(err.code, 0);
    assert_int_equal(other.code, SLU_EINVAL);
    slu_err_release(&other);
    assert_int_equal(slu_err_code_from_http(409, "AlreadyExists"), SLU_EEXIST);
    assert_int_equal(slu_err_code_from_http(409, "Conflict"), SLU_ECONFLICT);
    assert_int_equal(slu_err_code_from_http(410, ""), SLU_EGONE);
    assert_int_equal(slu_err_code_from_http(503, NULL), SLU_ESERVER);
    assert_int_equal(slu_err_http_from_code(SLU_EINVAL), 422);
    assert_string_equal(slu_err_reason_from_code(SLU_ENOTFOUND), "NotFound");
    assert_int_equal(slu_err_set(NULL, SLU_EIO, "ignored"), SLU_EIO);
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    slu_uuid4(a);
    slu_uuid4(b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_string_not_equal(a, b);
    char s[6];
    slu_random_name_suffix(s, 5);
    assert_int_equal(strlen(s), 5);
}

static struct slu_bqueue q;
static void *producer(void *arg)
{
    for (intptr_t i = 1; i <= 1000; i++)
        slu_bqueue_push(&q, (void *)i);
    return arg;
}

static void test_bqueue(void **state)
{
    (void)state;
    slu_bqueue_init(&q, 8);
    pthread_t t;
    pthread_create(&t, NULL, producer, NULL);
    intptr_t sum = 0, expect = 1;
    for (int i = 0; i < 1000; i++) {
        void *v;
        assert_int_equal(slu_bqueue_pop(&q, &v, -1), 0);
        assert_int_equal((intptr_t)v, expect++);
        sum += (intptr_t)v;
    }
    pthread_join(t, NULL);
    assert_int_equal(sum, 500500);
    void *v;
    assert_int_equal(slu_bqueue_pop(&q, &v, 10), SLU_ETIMEDOUT);
    slu_bqueue_close(&q);
    assert_int_equal(slu_bqueue_pop(&q, &v, -1), SLU_ECANCELED);
    assert_int_equal(slu_bqueue_push(&q, v), SLU_ECANCELED);
    slu_bqueue_release(&q, NULL);
}

static void test_files(void **state)
{
    (void)state;
    char path[] = "/tmp/slu_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct slu_err err = {0};
    assert_int_equal(slu_write_file(path, "hello", 5, 0600, &err), 0);
    struct slu_buf b = {0};
    assert_int_equal(slu_read_file(path, 100, &b, &err), 0);
    assert_string_equal(b.data, "hello");
    slu_buf_reset(&b);
    assert_int_equal(slu_read_file(path, 3, &b, &err), SLU_ETOOBIG);
    slu_buf_release(&b);
    /* an empty file gives an empty string, not an unterminated buffer */
    assert_int_equal(slu_write_file(path, "", 0, 0600, &err), 0);
    assert_int_equal(slu_read_file(path, 100, &b, &err), 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    struct slu_buf r = {0};
    slu_buf_reserve(&r, 10);
    assert_string_equal(r.data, "");
    slu_buf_release(&r);
    slu_buf_release(&b);
    assert_int_equal(slu_read_file("/nonexistent/x", 3, &b, &err), SLU_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
    slu_err_release(&err);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_split_trim), cmocka_unit_test(test_base64),
        cmocka_unit_test(test_map),        cmocka_unit_test(test_vec),
        cmocka_unit_test(test_time),       cmocka_unit_test(test_err),
        cmocka_unit_test(test_uuid),       cmocka_unit_test(test_bqueue),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
