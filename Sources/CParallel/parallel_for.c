#include "parallel_for.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define MAX_WORKERS 63
/* How long a waiting thread spins before it sleeps (a worker) or yields (the caller). */
#define SPIN_NANOSECONDS 200000

static int64_t now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether a wait that began at `start` (0: not yet read) has spun its time; checks the clock every 64 calls. */
static int spun(int64_t *start, int *calls) {
    if ((++*calls & 63) != 0) return 0;
    const int64_t t = now();
    if (*start == 0) *start = t;
    return t - *start > SPIN_NANOSECONDS;
}

static inline void pause_briefly(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The loop being run, written under `lock` before its generation is published. */
typedef struct {
    acim_iteration body;
    void *context;
    int64_t iterations;
    int32_t helpers;
} loop;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
/* Held by the thread whose loop runs: one loop at a time. */
static pthread_mutex_t running = PTHREAD_MUTEX_INITIALIZER;
static loop current;
static int32_t workers = 0;
/* Counts loops; a worker runs the iterations of the generation it read with the loop. */
static _Atomic uint64_t generation = 0;
/* The generation (high 32 bits) and the next iteration to hand out (low 32 bits): a thread that read an
   earlier loop finds another generation here and takes nothing from this one. */
static _Atomic uint64_t ticket = 0;
/* Iterations of the current loop not yet finished. */
static _Atomic int64_t remaining = 0;

/* Takes and runs iterations of loop `job` of generation `g` until none is left. */
static void run_iterations(loop job, uint64_t g) {
    for (;;) {
        uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
        for (;;) {
            if ((t >> 32) != (g & 0xffffffffu) || (int64_t)(t & 0xffffffffu) >= job.iterations) return;
            if (atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) break;
        }
        job.body(job.context, (int64_t)(t & 0xffffffffu));
        atomic_fetch_sub_explicit(&remaining, 1, memory_order_release);
    }
}

/* What a worker starts with: its number, and the generation before the loop that started it, which it then
   joins even when it starts after that loop was published. */
typedef struct {
    int32_t id;
    uint64_t seen;
} start;

static void *work(void *argument) {
    const start begin = *(const start *)argument;
    free(argument);
    const int32_t id = begin.id;
    uint64_t seen = begin.seen;
    for (;;) {
        int64_t start = 0;
        int calls = 0;
        while (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
            if (!spun(&start, &calls)) {
                pause_briefly();
                continue;
            }
            pthread_mutex_lock(&lock);
            while (atomic_load_explicit(&generation, memory_order_acquire) == seen) pthread_cond_wait(&wake, &lock);
            pthread_mutex_unlock(&lock);
        }
        pthread_mutex_lock(&lock);
        const loop job = current;
        seen = atomic_load_explicit(&generation, memory_order_acquire);
        pthread_mutex_unlock(&lock);
        if (job.body != NULL && id < job.helpers) run_iterations(job, seen);
    }
    return NULL;
}

/* Starts workers up to `count`, before the next loop is published; returns how many there are. Called under
   `running`. Workers get stacks of 8 MiB whatever the process's limit (the read-out keeps a row of codes
   on the stack). */
static int32_t start_workers(int32_t count) {
    while (workers < count && workers < MAX_WORKERS) {
        start *begin = malloc(sizeof *begin);
        if (begin == NULL) break;
        *begin = (start){workers, atomic_load_explicit(&generation, memory_order_acquire)};
        pthread_t thread;
        pthread_attr_t attributes;
        if (pthread_attr_init(&attributes) != 0) {
            free(begin);
            break;
        }
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attributes, 8 << 20);
        const int made = pthread_create(&thread, &attributes, work, begin);
        pthread_attr_destroy(&attributes);
        if (made != 0) {
            free(begin);
            break;
        }
        workers += 1;
    }
    return workers;
}

void acim_parallel_for(int64_t iterations, int32_t threads, acim_iteration body, void *context) {
    if (iterations <= 0) return;
    int64_t helpers = threads - 1 < iterations - 1 ? threads - 1 : iterations - 1;
    if (helpers > MAX_WORKERS) helpers = MAX_WORKERS;
    if (iterations > 0xffffffffLL || helpers <= 0 || pthread_mutex_trylock(&running) != 0) {
        for (int64_t i = 0; i < iterations; i++) body(context, i);
        return;
    }
    const int32_t available = start_workers((int32_t)helpers);
    pthread_mutex_lock(&lock);
    current = (loop){body, context, iterations, available < helpers ? available : (int32_t)helpers};
    const uint64_t g = atomic_load_explicit(&generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&remaining, iterations, memory_order_relaxed);
    atomic_store_explicit(&ticket, (g & 0xffffffffu) << 32, memory_order_release);
    atomic_store_explicit(&generation, g, memory_order_release);
    pthread_cond_broadcast(&wake);
    const loop job = current;
    pthread_mutex_unlock(&lock);
    run_iterations(job, g);
    int64_t start = 0;
    int calls = 0;
    while (atomic_load_explicit(&remaining, memory_order_acquire) > 0) {
        if (!spun(&start, &calls)) pause_briefly();
        else sched_yield();
    }
    pthread_mutex_lock(&lock);
    current.body = NULL;
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&running);
}

int64_t acim_count_down(int64_t *counter) {
    return __atomic_sub_fetch(counter, 1, __ATOMIC_ACQ_REL);
}
