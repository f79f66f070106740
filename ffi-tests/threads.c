/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * ARCHITECTURE.md, C API contract, "Threads": 8 threads, each running 200 complete PSK exchanges with its own
 * sessions, all created from ONE config that every thread shares read-only (and so one shared
 * replay cache). Every exchange must succeed (no replay false positives) and agree on keys.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

#define N_THREADS 8
#define N_EXCHANGES 200

typedef struct worker {
    const mikey_config *config;
    unsigned index;
    unsigned exchanges_ok;
    unsigned first_ssrc;
    uint8_t last_key[32]; /* to check that threads got different keys */
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    unsigned i;
    for (i = 0; i < N_EXCHANGES; i++) {
        mikey_session *init = NULL, *resp = NULL;
        mikey_srtp_keys keys[2];
        /* Distinct SSRCs per exchange, to find a failing one in the output. */
        uint32_t ssrc_base = 0x10000000u + (uint32_t)w->index * 0x01000000u + (uint32_t)i * 0x1000u;
        if (!run_exchange(w->config, w->config, 2, ssrc_base, &init, &resp)) {
            CHECK(0, "thread %u: exchange %u failed", w->index, i);
            continue;
        }
        if (sessions_agree(init, resp, 2, keys)) {
            if (CHECK(keys[0].ssrc == TEST_SSRC(ssrc_base, 0), "thread %u: exchange %u: ssrc 0x%08lx", w->index, i,
                      (unsigned long)keys[0].ssrc)) {
                w->exchanges_ok++;
            }
            memcpy(w->last_key, keys[0].master_key, sizeof w->last_key);
            mikey_srtp_keys_clear(&keys[0]);
            mikey_srtp_keys_clear(&keys[1]);
        } else {
            CHECK(0, "thread %u: exchange %u: keys differ", w->index, i);
        }
        mikey_session_free(init);
        mikey_session_free(resp);
    }
    return NULL;
}

int main(void)
{
    test_config_params params = test_psk_params(); /* PSK, V requested: I_MESSAGE + R_MESSAGE */
    mikey_config *config = test_config_new(&params);
    pthread_t threads[N_THREADS];
    worker workers[N_THREADS];
    unsigned i, j, total = 0;
    struct timespec start, end;
    double seconds;

    if (config == NULL) {
        return test_finish("threads");
    }
    memset(workers, 0, sizeof workers);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (i = 0; i < N_THREADS; i++) {
        workers[i].config = config;
        workers[i].index = i;
        if (!CHECK(pthread_create(&threads[i], NULL, run_worker, &workers[i]) == 0, "pthread_create %u", i)) {
            mikey_config_free(config);
            return test_finish("threads");
        }
    }
    for (i = 0; i < N_THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0, "pthread_join %u", i);
        total += workers[i].exchanges_ok;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;

    CHECK(total == N_THREADS * N_EXCHANGES, "%u of %u exchanges succeeded", total, N_THREADS * N_EXCHANGES);
    for (i = 0; i < N_THREADS; i++) {
        for (j = 0; j < i; j++) {
            CHECK(memcmp(workers[i].last_key, workers[j].last_key, sizeof workers[i].last_key) != 0,
                  "threads %u and %u ended with the same key", j, i);
        }
    }
    printf("threads: %u exchanges (I_MESSAGE + R_MESSAGE, 2 streams) in %.3f s on %d threads\n", total, seconds,
           N_THREADS);
    mikey_config_free(config);
    return test_finish("threads");
}
