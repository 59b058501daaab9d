/* Fork safety: a client used before fork() never shares a pooled connection
 * with the child, with or without calls in flight on other threads, and the
 * parent's connections stay usable.
 *   - a child deleting unknown ids gets its own EL_NOT_FOUND answers, never a
 *     success meant for the parent;
 *   - the mock's log shows no connection used by both;
 *   - the same while parent threads are mid-call during each of many forks,
 *     and no child ever blocks on a lock a parent thread held at the fork
 *     (a child that does is killed by its alarm and fails the test);
 *   - a fork from a fork: children whose own threads are mid-call (on the
 *     child's own agent) fork grandchildren, and no grandchild blocks on a
 *     lock a child thread held at that fork;
 *   - asynchronous calls: with the parent's calls in flight on the library's
 *     threads, a child's own asynchronous calls complete on threads of its
 *     own, and the parent's complete as well;
 *   - a fork inside a completion: the child never runs a call waiting in
 *     the parent's queue.
 * Needs ENGAGELAB_MOCK_URL (a running engagelab-mock).
 *
 * `fork_test --no-threads` runs the single-threaded checks only: the
 * sanitizer build uses it, because GCC's AddressSanitizer runtime takes no
 * lock around fork(), so a child forked while a parent thread is inside
 * ASan's malloc inherits ASan's allocator locked and hangs there, in the
 * sanitizer and not in the library. The threaded checks run in the shared
 * and static builds, where the allocator is glibc's (fork-safe). */
#define _POSIX_C_SOURCE 200809L

#include <engagelab_push.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "credentials.h"
#include "mock.h"

static el_client *client;

/* In a forked child: delete `calls` unknown ids, each must be the child's
 * own 400. */
static int run_child(int calls) {
    for (int i = 0; i < calls; i++) {
        char id[32];
        el_error err = EL_ERROR_INIT;
        snprintf(id, sizeof id, "unknown-%d", i);
        if (el_delete_device(client, id, &err) != EL_NOT_FOUND || err.api_code != 27002) {
            fprintf(stderr, "child: %s gave %s (%s)\n", id, el_status_name(err.status), err.message);
            return 1;
        }
    }
    return 0;
}

/* The longest a child may take, in seconds: its calls take milliseconds. */
#define CHILD_SECONDS 20

static int fork_child(int calls) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_SECONDS);
        _exit(run_child(calls));
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        fprintf(stderr, "child: hung for %d s (a lock held by a parent thread at fork()?)\n",
                CHILD_SECONDS);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Whether any connection id serves both a path containing `a` and one
 * containing `b`. */
static int shared_connection(const char *a, const char *b) {
    cJSON *log = mock_log();
    int shared = 0;
    const cJSON *x, *y;
    cJSON_ArrayForEach(x, log) {
        const char *px = cJSON_GetStringValue(cJSON_GetObjectItem(x, "path"));
        if (px == NULL || strstr(px, a) == NULL) continue;
        cJSON_ArrayForEach(y, log) {
            const char *py = cJSON_GetStringValue(cJSON_GetObjectItem(y, "path"));
            if (py == NULL || strstr(py, b) == NULL) continue;
            if (cJSON_GetNumberValue(cJSON_GetObjectItem(x, "connection")) ==
                cJSON_GetNumberValue(cJSON_GetObjectItem(y, "connection")))
                shared = 1;
        }
    }
    cJSON_Delete(log);
    return shared;
}

/* Parent threads calling without pause until `stop`, at most BG_CALLS each;
 * their failures are counted apart (CHECK's counters are not atomic). */
#define BG_THREADS 4
#define BG_CALLS 20000
static atomic_int stop, bg_failures;

static void *background(void *arg) {
    int thread = (int)(intptr_t)arg;
    for (int i = 0; i < BG_CALLS && !atomic_load(&stop); i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-%d-%d", thread, i);
        el_error err = EL_ERROR_INIT;
        if (el_delete_device(client, id, &err) != EL_NOT_FOUND || err.api_code != 27002) {
            fprintf(stderr, "parent thread: %s gave %s (%s)\n", id, el_status_name(err.status),
                    err.message);
            atomic_fetch_add(&bg_failures, 1);
        }
    }
    return NULL;
}

/* Grandchildren: each child runs CHILD_THREADS threads calling without pause
 * on the client (so on the child's own agent), and forks GRANDCHILDREN
 * grandchildren one after another while they run; each grandchild makes two
 * calls of its own under an alarm. A child exits 0 when every grandchild
 * did; 2 when one hung (it stops there). */
#define CHILD_THREADS 6
#define GRANDCHILDREN 20
#define CHILD_CALLS 100000

static void *child_background(void *arg) {
    int thread = (int)(intptr_t)arg;
    for (int i = 0; i < CHILD_CALLS && !atomic_load(&stop); i++) {
        char id[32];
        snprintf(id, sizeof id, "child-%d-%d", thread, i);
        el_error err = EL_ERROR_INIT;
        if (el_delete_device(client, id, &err) != EL_NOT_FOUND || err.api_code != 27002)
            atomic_fetch_add(&bg_failures, 1);
    }
    return NULL;
}

static int run_child_with_grandchildren(void) {
    pthread_t threads[CHILD_THREADS];
    for (int t = 0; t < CHILD_THREADS; t++)
        if (pthread_create(&threads[t], NULL, child_background, (void *)(intptr_t)t) != 0) return 1;
    int result = 0;
    for (int g = 0; g < GRANDCHILDREN && result == 0; g++) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(CHILD_SECONDS);
            _exit(run_child(2));
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            result = 1;
        } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
            fprintf(stderr, "grandchild %d: hung for %d s (a lock held by a child thread at fork()?)\n",
                    g, CHILD_SECONDS);
            result = 2;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            result = 1;
        }
    }
    atomic_store(&stop, 1);
    for (int t = 0; t < CHILD_THREADS; t++) pthread_join(threads[t], NULL);
    if (result == 0 && atomic_load(&bg_failures) != 0) {
        fprintf(stderr, "child: %d calls of its threads failed\n", atomic_load(&bg_failures));
        result = 1;
    }
    return result;
}

/* Forks a child that forks grandchildren (run_child_with_grandchildren);
 * its alarm covers every grandchild's. */
static int fork_child_with_grandchildren(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_SECONDS * 3);
        _exit(run_child_with_grandchildren());
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "child: killed by signal %d\n", WTERMSIG(status));
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Completions of asynchronous calls: the parent's and, after a fork, the
 * child's, each under its own lock (the child never takes one a parent
 * thread may have held at the fork). */
struct completions {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int done, bad;
    el_status want;
};

static struct completions parent_calls, child_calls;

static void on_async(void *user_data, el_status status, const el_error *err) {
    struct completions *c = user_data;
    pthread_mutex_lock(&c->lock);
    c->done++;
    if (status != c->want || (status == EL_NOT_FOUND && err->api_code != 27002)) c->bad++;
    pthread_cond_signal(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void completions_init(struct completions *c, el_status want) {
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    c->done = c->bad = 0;
    c->want = want;
}

/* Waits for `n` completions; returns how many were not as wanted. */
static int completions_wait(struct completions *c, int n) {
    pthread_mutex_lock(&c->lock);
    while (c->done < n) pthread_cond_wait(&c->changed, &c->lock);
    int bad = c->bad;
    pthread_mutex_unlock(&c->lock);
    return bad;
}

/* Forks a child that deletes `calls` unknown ids asynchronously. */
static int fork_async_child(int calls) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_SECONDS);
        completions_init(&child_calls, EL_NOT_FOUND);
        for (int i = 0; i < calls; i++) {
            char id[32];
            snprintf(id, sizeof id, "unknown-async-%d", i);
            if (el_delete_device_async(client, id, NULL, on_async, &child_calls, NULL) != EL_OK) _exit(2);
        }
        _exit(completions_wait(&child_calls, calls) == 0 ? 0 : 1);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        fprintf(stderr, "async child: hung for %d s\n", CHILD_SECONDS);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Forks while the parent's asynchronous calls are in flight. */
static void forks_under_async_calls(void) {
    enum { PARENT_CALLS = 80 };
    CHECK(mock_reset() == 0);
    completions_init(&parent_calls, EL_OK);
    cJSON *slow = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":300}]");
    for (int i = 0; i < PARENT_CALLS; i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-async-%d", i);
        CHECK(mock_add_device(id) == 0);
        CHECK(mock_script(id, slow) == 0);
    }
    cJSON_Delete(slow);
    for (int i = 0; i < PARENT_CALLS; i++) {
        char id[32];
        snprintf(id, sizeof id, "bg-async-%d", i);
        CHECK(el_delete_device_async(client, id, NULL, on_async, &parent_calls, NULL) == EL_OK);
    }
    for (int k = 0; k < 20; k++) CHECK(fork_async_child(5) == 0);
    CHECK(completions_wait(&parent_calls, PARENT_CALLS) == 0);
    CHECK(!shared_connection("unknown-async-", "bg-async-"));
}

/* The child forked by on_fork_in_done, or -1. */
static atomic_int forked_child = -1;

/* A completion that forks. In the child, the thread that forked returns
 * into the library's worker, a copy of the parent's. */
static void on_fork_in_done(void *user_data, el_status status, const el_error *err) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(CHILD_SECONDS);
        return;
    }
    atomic_store(&forked_child, pid);
    on_async(user_data, status, err);
}

/* A fork inside a completion, with every library thread busy and a call
 * waiting: the child's copy of the worker that forked must not run the
 * waiting call too (its request would be sent twice, once per process). */
static void fork_in_a_completion(void) {
    CHECK(mock_reset() == 0);
    completions_init(&parent_calls, EL_OK);
    cJSON *first = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":300}]");
    cJSON *slow = cJSON_Parse("[{\"status\":200,\"body\":\"{}\",\"delay_ms\":1500}]");
    for (int i = 0; i < EL_ASYNC_THREADS; i++) {
        char id[32];
        snprintf(id, sizeof id, "busy-%d", i);
        CHECK(mock_add_device(id) == 0);
        CHECK(mock_script(id, i == 0 ? first : slow) == 0);
    }
    cJSON_Delete(first);
    cJSON_Delete(slow);
    CHECK(mock_add_device("waiting") == 0);
    for (int i = 0; i < EL_ASYNC_THREADS; i++) {
        char id[32];
        snprintf(id, sizeof id, "busy-%d", i);
        el_delete_done_fn done = i == 0 ? on_fork_in_done : on_async;
        CHECK(el_delete_device_async(client, id, NULL, done, &parent_calls, NULL) == EL_OK);
    }
    CHECK(el_delete_device_async(client, "waiting", NULL, on_async, &parent_calls, NULL) == EL_OK);
    CHECK(completions_wait(&parent_calls, EL_ASYNC_THREADS + 1) == 0);
    pid_t child = atomic_load(&forked_child);
    CHECK(child > 0);
    int status = 0;
    /* The child ends once its thread is back in the worker (or, running
     * the parent's calls, once that worker is idle, or at its alarm). */
    if (child > 0) CHECK(waitpid(child, &status, 0) == child);
    cJSON *log = mock_log();
    int sent = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, log) {
        const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));
        if (path != NULL && strcmp(path, "/v4/devices/waiting") == 0) sent++;
    }
    cJSON_Delete(log);
    if (sent != 1) fprintf(stderr, "fork in a completion: the waiting call was sent %d times\n", sent);
    CHECK(sent == 1);
}

/* Forks while parent threads are mid-call: each fork may catch one of them
 * inside the connection pool's lock; then forks from such forks. */
static void forks_under_threads(void) {
    CHECK(mock_reset() == 0);
    pthread_t threads[BG_THREADS];
    for (int t = 0; t < BG_THREADS; t++)
        CHECK(pthread_create(&threads[t], NULL, background, (void *)(intptr_t)t) == 0);
    for (int k = 0; k < 100; k++) CHECK(fork_child(3) == 0);
    atomic_store(&stop, 1);
    for (int t = 0; t < BG_THREADS; t++) pthread_join(threads[t], NULL);
    CHECK(atomic_load(&bg_failures) == 0);
    CHECK(!shared_connection("unknown-", "bg-"));

    /* A fork from a fork: each grandchild may catch a child thread inside
     * the lock guarding the child's own agent. */
    CHECK(mock_reset() == 0);
    atomic_store(&stop, 0);
    for (int k = 0; k < 100; k++) {
        int result = fork_child_with_grandchildren();
        if (result != 0) {
            fprintf(stderr, "child %d with grandchildren: failed (%d)\n", k, result);
            CHECK(result == 0);
            break;
        }
    }
}

int main(int argc, char **argv) {
    int threaded = !(argc > 1 && strcmp(argv[1], "--no-threads") == 0);
    el_config *config = NULL;
    mock_init();
    if (mock_reset() != 0 || el_config_new(EL_TEST_APP_KEY, EL_TEST_MASTER_SECRET, &config, NULL) != EL_OK ||
        el_config_set_base_url(config, mock_url(), NULL) != EL_OK ||
        el_client_new(config, &client, NULL) != EL_OK) {
        fprintf(stderr, "fork_test: cannot set up a client\n");
        return 1;
    }
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "parent-%d", i);
        mock_add_device(id);
    }
    CHECK(el_delete_device(client, "parent-0", NULL) == EL_OK); /* a pooled connection */
    CHECK(fork_child(20) == 0);
    for (int i = 1; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "parent-%d", i);
        CHECK(el_delete_device(client, id, NULL) == EL_OK);
    }
    CHECK(!shared_connection("unknown-", "parent-"));

    if (threaded) {
        forks_under_threads();
        forks_under_async_calls();
        fork_in_a_completion();
    }

    el_client_free(client);
    el_config_free(config);
    mock_cleanup();
    if (failures) {
        fprintf(stderr, "fork_test: %d failed\n", failures);
        return 1;
    }
    printf("fork_test: ok\n");
    return 0;
}
