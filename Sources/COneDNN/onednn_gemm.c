#include "onednn_gemm.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* libgomp, which oneDNN's OpenMP runtime loads: the thread count of parallel regions the calling thread
   starts. Set to 1 in every thread that creates or runs a primitive, so oneDNN neither spawns a team nor
   sizes a primitive for one. */
extern void omp_set_num_threads(int count);

static _Thread_local int thread_ready = 0;
static _Thread_local dnnl_stream_t thread_stream = NULL;
static dnnl_engine_t engine = NULL;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void make_engine(void) {
    if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success) engine = NULL;
}

/* The one CPU engine, made by the first caller from any thread. */
static dnnl_engine_t shared_engine(void) {
    pthread_once(&engine_once, make_engine);
    return engine;
}

static int prepare_thread(void) {
    if (!thread_ready) {
        omp_set_num_threads(1);
        thread_ready = 1;
    }
    if (thread_stream == NULL) {
        if (shared_engine() == NULL || dnnl_stream_create(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success) {
            thread_stream = NULL;
            return -1;
        }
    }
    return 0;
}

/* The scratchpad of the calling thread's executions. oneDNN's own (library mode, without concurrent
   execution) belongs to the thread that made a primitive, so two threads running one primitive would share
   it; every primitive here takes its scratchpad from the caller instead. */
static _Thread_local void *thread_scratchpad = NULL;
static _Thread_local size_t thread_scratchpad_size = 0;

/* The calling thread's scratchpad, at least `size` bytes; NULL when it cannot be had. */
static void *scratchpad(size_t size) {
    if (size > thread_scratchpad_size) {
        free(thread_scratchpad);
        const size_t rounded = (size + 63) / 64 * 64;
        thread_scratchpad = aligned_alloc(64, rounded);
        thread_scratchpad_size = thread_scratchpad ? rounded : 0;
    }
    return thread_scratchpad;
}

/* Primitive attributes that hand the scratchpad to the caller; NULL on failure. */
static dnnl_primitive_attr_t user_scratchpad(void) {
    dnnl_primitive_attr_t attr = NULL;
    if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
    if (dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        return NULL;
    }
    return attr;
}

/* Runs `primitive` with `args` and the calling thread's scratchpad of `scratchpad_md`. Returns 0 on success. */
static int run(dnnl_primitive_t primitive, int count, dnnl_exec_arg_t *args, const dnnl_memory_desc_t *scratchpad_md) {
    const size_t size = dnnl_memory_desc_get_size(scratchpad_md);
    dnnl_memory_t scratch = NULL;
    int status = -1;
    void *buffer = size > 0 ? scratchpad(size) : NULL;
    if ((size == 0 || buffer != NULL)
        && dnnl_memory_create(&scratch, scratchpad_md, engine, size > 0 ? buffer : DNNL_MEMORY_NONE) == dnnl_success) {
        args[count] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
        if (dnnl_primitive_execute(primitive, thread_stream, count + 1, args) == dnnl_success
            && dnnl_stream_wait(thread_stream) == dnnl_success) {
            status = 0;
        }
    }
    dnnl_memory_destroy(scratch);
    return status;
}

struct acim_igemm_plan {
    int64_t id;
    int64_t m, k, n;
    dnnl_primitive_t matmul;
    dnnl_memory_desc_t a, packed, c, scratchpad;
};

/* Numbers plans, so that a thread's memory objects are found by plan, never by a reused address. */
static _Atomic int64_t plans_made = 0;

/* The memory objects of the left operand, the product and the scratchpad a thread last used with a plan:
   made once, their buffers set per call (plain layouts, so setting a buffer costs nothing). */
typedef struct {
    int64_t plan;
    dnnl_memory_t a, c, scratchpad;
} operand_memories;

#define CACHED_PLANS 32
static _Thread_local operand_memories cached[CACHED_PLANS];
static _Thread_local int cached_next = 0;

/* Frees a finished thread's memory objects, scratchpad and stream (the key's value is only a marker that the
   thread has them). */
static pthread_key_t cache_key;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

static void free_cache(void *marker) {
    (void)marker;
    for (int i = 0; i < CACHED_PLANS; i++) {
        dnnl_memory_destroy(cached[i].a);
        dnnl_memory_destroy(cached[i].c);
        dnnl_memory_destroy(cached[i].scratchpad);
        cached[i] = (operand_memories){0, NULL, NULL, NULL};
    }
    free(thread_scratchpad);
    thread_scratchpad = NULL;
    thread_scratchpad_size = 0;
    if (thread_stream != NULL) dnnl_stream_destroy(thread_stream);
    thread_stream = NULL;
}

static void make_cache_key(void) { pthread_key_create(&cache_key, free_cache); }

/* The calling thread's memory objects for `plan`, made (in place of the least recently made) when it has
   none; NULL when oneDNN fails. */
static operand_memories *memories(const acim_igemm_plan *plan) {
    for (int i = 0; i < CACHED_PLANS; i++) {
        if (cached[i].a != NULL && cached[i].plan == plan->id) return &cached[i];
    }
    pthread_once(&cache_key_once, make_cache_key);
    pthread_setspecific(cache_key, cached);
    operand_memories *slot = &cached[cached_next];
    cached_next = (cached_next + 1) % CACHED_PLANS;
    dnnl_memory_destroy(slot->a);
    dnnl_memory_destroy(slot->c);
    dnnl_memory_destroy(slot->scratchpad);
    *slot = (operand_memories){plan->id, NULL, NULL, NULL};
    if (dnnl_memory_create(&slot->a, &plan->a, engine, DNNL_MEMORY_NONE) != dnnl_success
        || dnnl_memory_create(&slot->c, &plan->c, engine, DNNL_MEMORY_NONE) != dnnl_success
        || dnnl_memory_create(&slot->scratchpad, &plan->scratchpad, engine, DNNL_MEMORY_NONE) != dnnl_success) {
        dnnl_memory_destroy(slot->a);
        dnnl_memory_destroy(slot->c);
        dnnl_memory_destroy(slot->scratchpad);
        *slot = (operand_memories){0, NULL, NULL, NULL};
        return NULL;
    }
    return slot;
}

acim_igemm_summation acim_igemm_probe(char *isa, size_t capacity) {
    if (capacity > 0) isa[0] = 0;
    if (prepare_thread() != 0) return ACIM_IGEMM_UNAVAILABLE;
    dnnl_cpu_isa_t found = dnnl_get_effective_cpu_isa();
    const char *name = "none";
    acim_igemm_summation summation = ACIM_IGEMM_UNAVAILABLE;
    switch (found) {
    case dnnl_cpu_isa_avx512_core_amx: name = "avx512_core_amx"; summation = ACIM_IGEMM_EXACT; break;
    case dnnl_cpu_isa_avx512_core_bf16: name = "avx512_core_bf16"; summation = ACIM_IGEMM_EXACT; break;
    case dnnl_cpu_isa_avx512_core_vnni: name = "avx512_core_vnni"; summation = ACIM_IGEMM_EXACT; break;
    case dnnl_cpu_isa_avx2_vnni: name = "avx2_vnni"; summation = ACIM_IGEMM_EXACT; break;
    case dnnl_cpu_isa_avx512_core: name = "avx512_core"; summation = ACIM_IGEMM_SATURATING; break;
    case dnnl_cpu_isa_avx2: name = "avx2"; summation = ACIM_IGEMM_SATURATING; break;
    default: break;
    }
    if (capacity > 0) {
        strncpy(isa, name, capacity - 1);
        isa[capacity - 1] = 0;
    }
    return summation;
}

acim_igemm_plan *acim_igemm_plan_create(int64_t m, int64_t k, int64_t n) {
    if (prepare_thread() != 0) return NULL;
    acim_igemm_plan *plan = calloc(1, sizeof *plan);
    if (plan == NULL) return NULL;
    plan->id = atomic_fetch_add(&plans_made, 1) + 1;
    plan->m = m;
    plan->k = k;
    plan->n = n;
    dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
    dnnl_memory_desc_t b_any;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_attr_t attr = user_scratchpad();
    if (attr == NULL
        || dnnl_memory_desc_init_by_tag(&plan->a, 2, a_dims, dnnl_u8, dnnl_ab) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&b_any, 2, b_dims, dnnl_s8, dnnl_format_tag_any) != dnnl_success
        || dnnl_memory_desc_init_by_tag(&plan->c, 2, c_dims, dnnl_f32, dnnl_ab) != dnnl_success
        || dnnl_matmul_desc_init(&desc, &plan->a, &b_any, NULL, &plan->c) != dnnl_success
        || dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL) != dnnl_success) {
        dnnl_primitive_attr_destroy(attr);
        free(plan);
        return NULL;
    }
    dnnl_primitive_attr_destroy(attr);
    plan->packed = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    plan->scratchpad = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    dnnl_status_t made = dnnl_primitive_create(&plan->matmul, pd);
    dnnl_primitive_desc_destroy(pd);
    if (made != dnnl_success) {
        free(plan);
        return NULL;
    }
    return plan;
}

void acim_igemm_plan_destroy(acim_igemm_plan *plan) {
    if (plan == NULL) return;
    dnnl_primitive_destroy(plan->matmul);
    free(plan);
}

size_t acim_igemm_packed_size(const acim_igemm_plan *plan) {
    return dnnl_memory_desc_get_size(&plan->packed);
}

int acim_igemm_same_packing(const acim_igemm_plan *a, const acim_igemm_plan *b) {
    return dnnl_memory_desc_equal(&a->packed, &b->packed);
}

int acim_igemm_pack(const acim_igemm_plan *plan, const int8_t *b, int64_t ldb, void *packed) {
    if (prepare_thread() != 0) return -1;
    dnnl_memory_desc_t plain;
    dnnl_dims_t dims = {plan->k, plan->n}, strides = {ldb, 1};
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_primitive_attr_t attr = user_scratchpad();
    int status = -1;
    if (attr != NULL
        && dnnl_memory_desc_init_by_strides(&plain, 2, dims, dnnl_s8, strides) == dnnl_success
        && dnnl_memory_create(&from, &plain, engine, (void *)b) == dnnl_success
        && dnnl_memory_create(&to, &plan->packed, engine, packed) == dnnl_success
        && dnnl_reorder_primitive_desc_create(&pd, &plain, engine, &plan->packed, engine, attr) == dnnl_success
        && dnnl_primitive_create(&reorder, pd) == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
        status = run(reorder, 2, args, dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0));
    }
    dnnl_primitive_attr_destroy(attr);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(from);
    dnnl_memory_destroy(to);
    return status;
}

void *acim_igemm_weights(const acim_igemm_plan *plan, void *packed) {
    if (prepare_thread() != 0) return NULL;
    dnnl_memory_t weights = NULL;
    if (dnnl_memory_create(&weights, &plan->packed, engine, packed) != dnnl_success) return NULL;
    return weights;
}

void acim_igemm_weights_destroy(void *weights) { dnnl_memory_destroy((dnnl_memory_t)weights); }

int acim_igemm_execute(const acim_igemm_plan *plan, const uint8_t *a, const void *weights, float *c) {
    if (prepare_thread() != 0) return -1;
    operand_memories *m = memories(plan);
    if (m == NULL) return -1;
    const size_t size = dnnl_memory_desc_get_size(&plan->scratchpad);
    void *buffer = size > 0 ? scratchpad(size) : NULL;
    if ((size > 0 && buffer == NULL)
        || dnnl_memory_set_data_handle(m->a, (void *)a) != dnnl_success
        || dnnl_memory_set_data_handle(m->c, c) != dnnl_success
        || (size > 0 && dnnl_memory_set_data_handle(m->scratchpad, buffer) != dnnl_success)) {
        return -1;
    }
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m->a}, {DNNL_ARG_WEIGHTS, (dnnl_memory_t)weights}, {DNNL_ARG_DST, m->c},
                               {DNNL_ARG_SCRATCHPAD, m->scratchpad}};
    if (dnnl_primitive_execute(plan->matmul, thread_stream, 4, args) != dnnl_success
        || dnnl_stream_wait(thread_stream) != dnnl_success) {
        return -1;
    }
    return 0;
}
