/* test_lease.c - leader election against a local server holding one Lease (optimistic
 * concurrency on resourceVersion, like the API server): acquire, renew, release on stop,
 * take-over of an abandoned lease after its duration, and losing leadership (on_stopped) when
 * renewals fail, before the lease could expire for others. */
#include <signal.h>
#include <stdlib.h>

#include "test.h"

#include "fakeapi.h"
#include "kube/client_priv.h"

#define LEASE_PATH "/apis/coordination.k8s.io/v1/namespaces/ns/leases/lk"

struct store {
    pthread_mutex_t mu;
    json_t *lease;
    int rv;
    atomic_bool fail;
    int64_t last_renew_ns; /* monotonic time of the last successful write */
    int writes;
};

static void lease_server(void *ud, int n, const struct fake_req *rq, struct fake_answer *a)
{
    (void)n;
    struct store *s = ud;
    if (atomic_load(&s->fail)) {
        fake_reply(a, 500, NULL, "{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\"}");
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (strcmp(rq->method, "GET") == 0 && strcmp(rq->path, LEASE_PATH) == 0) {
        if (!s->lease) {
            fake_reply(a, 404, NULL, "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\"}");
        } else {
            char *b = slu_json_dumps(s->lease);
            fake_reply(a, 200, NULL, b);
            free(b);
        }
    } else if (strcmp(rq->method, "POST") == 0 &&
               strcmp(rq->path, "/apis/coordination.k8s.io/v1/namespaces/ns/leases") == 0) {
        if (s->lease) {
            fake_reply(a, 409, NULL,
                       "{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\"}");
        } else {
            s->lease = json_loads(rq->body.data, 0, NULL);
            char rv[16];
            snprintf(rv, sizeof(rv), "%d", ++s->rv);
            slu_json_set_str(s->lease, "metadata.resourceVersion", rv);
            s->last_renew_ns = slu_now_mono_ns();
            s->writes++;
            char *b = slu_json_dumps(s->lease);
            fake_reply(a, 201, NULL, b);
            free(b);
        }
    } else if (strcmp(rq->method, "PUT") == 0 && strcmp(rq->path, LEASE_PATH) == 0) {
        json_t *in = json_loads(rq->body.data, 0, NULL);
        char rv[16];
        snprintf(rv, sizeof(rv), "%d", s->rv);
        if (!s->lease || !slu_streq(slu_json_str(in, "metadata.resourceVersion"), rv)) {
            fake_reply(a, 409, NULL, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\"}");
            json_decref(in);
        } else {
            json_decref(s->lease);
            s->lease = in;
            snprintf(rv, sizeof(rv), "%d", ++s->rv);
            slu_json_set_str(s->lease, "metadata.resourceVersion", rv);
            s->last_renew_ns = slu_now_mono_ns();
            s->writes++;
            char *b = slu_json_dumps(s->lease);
            fake_reply(a, 200, NULL, b);
            free(b);
        }
    } else {
        fake_reply(a, 404, NULL, "{\"kind\":\"Status\",\"code\":404}");
    }
    pthread_mutex_unlock(&s->mu);
}

struct events {
    pthread_mutex_t mu;
    int started, stopped;
    int64_t stopped_at;
    char leaders[8][32];
    int nleaders;
};

static void on_started(void *ud)
{
    struct events *e = ud;
    pthread_mutex_lock(&e->mu);
    e->started++;
    pthread_mutex_unlock(&e->mu);
}

static void on_stopped(void *ud)
{
    struct events *e = ud;
    pthread_mutex_lock(&e->mu);
    e->stopped++;
    e->stopped_at = slu_now_mono_ns();
    pthread_mutex_unlock(&e->mu);
}

static void on_new_leader(void *ud, const char *id)
{
    struct events *e = ud;
    pthread_mutex_lock(&e->mu);
    if (e->nleaders < 8)
        slu_strlcpy(e->leaders[e->nleaders], id, 32);
    e->nleaders++;
    pthread_mutex_unlock(&e->mu);
}

struct fixture {
    struct store st;
    struct fakeapi f;
    struct kube_client *c;
    struct events ev;
};

static void fixture_init(struct fixture *fx)
{
    memset(fx, 0, sizeof(*fx));
    pthread_mutex_init(&fx->st.mu, NULL);
    atomic_init(&fx->st.fail, false);
    pthread_mutex_init(&fx->ev.mu, NULL);
    assert_int_equal(fake_start(&fx->f, lease_server, &fx->st), 0);
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", fx->f.port);
    cfg.qps = -1;
    fx->c = kube_client_new(&cfg, NULL);
    free(cfg.server);
}

static void fixture_release(struct fixture *fx)
{
    kube_client_free(fx->c);
    fake_stop(&fx->f);
    json_decref(fx->st.lease);
    pthread_mutex_destroy(&fx->st.mu);
    pthread_mutex_destroy(&fx->ev.mu);
}

static struct kube_leader *elector(struct fixture *fx, const char *id, int64_t dur, int64_t renew,
                                   int64_t retry)
{
    struct kube_leader_opts o = {.lease_namespace = "ns",
                                 .lease_name = "lk",
                                 .identity = id,
                                 .lease_duration_ms = dur,
                                 .renew_deadline_ms = renew,
                                 .retry_period_ms = retry,
                                 .on_started = on_started,
                                 .on_stopped = on_stopped,
                                 .on_new_leader = on_new_leader,
                                 .ud = &fx->ev};
    struct kube_leader *l = kube_leader_new(fx->c, &o);
    assert_non_null(l);
    return l;
}

/* Waits (bounded, for a hung test) until pred holds. */
#define WAIT_FOR(pred)                                                                             \
    do {                                                                                           \
        int _i = 0;                                                                                \
        while (!(pred) && _i++ < 1000)                                                             \
            slu_sleep_ms(10);                                                                      \
        assert_true(pred);                                                                         \
    } while (0)

static int started(struct fixture *fx)
{
    pthread_mutex_lock(&fx->ev.mu);
    int n = fx->ev.started;
    pthread_mutex_unlock(&fx->ev.mu);
    return n;
}

static int stopped(struct fixture *fx)
{
    pthread_mutex_lock(&fx->ev.mu);
    int n = fx->ev.stopped;
    pthread_mutex_unlock(&fx->ev.mu);
    return n;
}

static int writes(struct fixture *fx)
{
    pthread_mutex_lock(&fx->st.mu);
    int n = fx->st.writes;
    pthread_mutex_unlock(&fx->st.mu);
    return n;
}

static void test_acquire_renew_release(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct kube_leader *l = elector(&fx, "A", 2000, 1000, 50);
    assert_false(kube_leader_is_leader(l));
    assert_int_equal(kube_leader_start(l), 0);
    WAIT_FOR(started(&fx) == 1);
    assert_true(kube_leader_is_leader(l));
    WAIT_FOR(writes(&fx) >= 3); /* created, then renewed */
    pthread_mutex_lock(&fx.st.mu);
    assert_string_equal(slu_json_str(fx.st.lease, "spec.holderIdentity"), "A");
    assert_int_equal(slu_json_int(fx.st.lease, "spec.leaseDurationSeconds", 0), 2);
    assert_int_equal(slu_json_int(fx.st.lease, "spec.leaseTransitions", -1), 0);
    const char *rt = slu_json_str(fx.st.lease, "spec.renewTime");
    const char *at = slu_json_str(fx.st.lease, "spec.acquireTime");
    assert_non_null(rt);
    assert_int_equal(strlen(rt), strlen("2006-01-02T15:04:05.000000Z"));
    assert_true(rt[19] == '.' && rt[26] == 'Z');
    assert_true(strcmp(rt, at) >= 0);
    pthread_mutex_unlock(&fx.st.mu);
    assert_string_equal(fx.ev.leaders[0], "A");
    kube_leader_stop(l);
    assert_false(kube_leader_is_leader(l));
    assert_int_equal(stopped(&fx), 1);
    /* released: holder emptied so that others can take over at once */
    const char *h = slu_json_str(fx.st.lease, "spec.holderIdentity");
    assert_true(h == NULL || *h == '\0');
    assert_int_equal(slu_json_int(fx.st.lease, "spec.leaseDurationSeconds", 0), 1);
    kube_leader_free(l);

    /* a new candidate takes the released lease without waiting for it to expire */
    struct kube_leader *b = elector(&fx, "B", 60000, 40000, 50);
    assert_int_equal(kube_leader_start(b), 0);
    WAIT_FOR(started(&fx) == 2);
    pthread_mutex_lock(&fx.st.mu);
    assert_string_equal(slu_json_str(fx.st.lease, "spec.holderIdentity"), "B");
    pthread_mutex_unlock(&fx.st.mu);
    kube_leader_free(b);
    fixture_release(&fx);
}

static void test_takeover_after_expiry(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    /* a lease held by someone who stopped renewing (its timestamps are irrelevant: only the
     * local time since the record last changed counts) */
    fx.st.lease = json_loads("{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
                             "\"metadata\":{\"name\":\"lk\",\"namespace\":\"ns\","
                             "\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":\"other\","
                             "\"leaseDurationSeconds\":1,\"renewTime\":"
                             "\"2999-01-01T00:00:00.000000Z\",\"leaseTransitions\":4}}",
                             0, NULL);
    fx.st.rv = 1;
    struct kube_leader *l = elector(&fx, "B", 3000, 2000, 50);
    int64_t t0 = slu_now_mono_ns();
    assert_int_equal(kube_leader_start(l), 0);
    WAIT_FOR(started(&fx) == 1);
    /* it waited for the observed record to stay unchanged for leaseDurationSeconds (1 s) */
    assert_true(slu_now_mono_ns() - t0 >= 1000000000LL);
    assert_true(fx.ev.nleaders >= 2);
    assert_string_equal(fx.ev.leaders[0], "other");
    assert_string_equal(fx.ev.leaders[1], "B");
    pthread_mutex_lock(&fx.st.mu);
    assert_string_equal(slu_json_str(fx.st.lease, "spec.holderIdentity"), "B");
    assert_int_equal(slu_json_int(fx.st.lease, "spec.leaseTransitions", 0), 5);
    pthread_mutex_unlock(&fx.st.mu);
    kube_leader_free(l);
    fixture_release(&fx);
}

static void test_lose_when_renewals_fail(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    int64_t dur_ms = 2000;
    struct kube_leader *l = elector(&fx, "A", dur_ms, 800, 50);
    assert_int_equal(kube_leader_start(l), 0);
    WAIT_FOR(started(&fx) == 1);
    atomic_store(&fx.st.fail, true);
    WAIT_FOR(stopped(&fx) == 1);
    assert_false(kube_leader_is_leader(l));
    /* it stopped before the lease could expire for anyone else */
    pthread_mutex_lock(&fx.st.mu);
    int64_t last = fx.st.last_renew_ns;
    pthread_mutex_unlock(&fx.st.mu);
    assert_true(fx.ev.stopped_at - last < dur_ms * 1000000);
    /* and it campaigns again once the server recovers */
    atomic_store(&fx.st.fail, false);
    WAIT_FOR(started(&fx) == 2);
    kube_leader_free(l);
    fixture_release(&fx);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acquire_renew_release),
        cmocka_unit_test(test_takeover_after_expiry),
        cmocka_unit_test(test_lose_when_renewals_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
