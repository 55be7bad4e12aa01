#pragma once
/* A thin C layer over oneDNN's matmul primitive for the simulator's exact integer GEMMs:
   C (m x n, f32) = A (m x k, u8) * B (k x n, s8), B packed once in the layout the primitive wants.
   Every call runs single-threaded on the calling thread (callers parallelize across GEMMs). */
#include <stddef.h>
#include <stdint.h>

/* How oneDNN's int8 kernels sum products on this CPU. */
typedef enum {
    ACIM_IGEMM_UNAVAILABLE = 0,  /* no int8 matmul kernel for this CPU, or oneDNN failed */
    ACIM_IGEMM_SATURATING = 1,   /* pairs of u8 x s8 products summed in 16 bits with saturation (no VNNI) */
    ACIM_IGEMM_EXACT = 2,        /* products summed in 32 bits (VNNI, AMX) */
} acim_igemm_summation;

/* The summation of the int8 kernels; writes the instruction set oneDNN uses into `isa`. */
acim_igemm_summation acim_igemm_probe(char *isa, size_t capacity);

/* A matmul primitive for one shape. */
typedef struct acim_igemm_plan acim_igemm_plan;

/* NULL when oneDNN cannot make the primitive. */
acim_igemm_plan *acim_igemm_plan_create(int64_t m, int64_t k, int64_t n);
void acim_igemm_plan_destroy(acim_igemm_plan *plan);

/* Bytes of B packed for `plan`. */
size_t acim_igemm_packed_size(const acim_igemm_plan *plan);

/* Whether B packed for `a` is also B packed for `b`. */
int acim_igemm_same_packing(const acim_igemm_plan *a, const acim_igemm_plan *b);

/* Packs B (k x n, row-major, row stride ldb) for `plan` into `packed` (acim_igemm_packed_size bytes).
   Returns 0 on success. */
int acim_igemm_pack(const acim_igemm_plan *plan, const int8_t *b, int64_t ldb, void *packed);

/* The weights operand of `plan` over B packed for it (`packed`, which must outlive it); NULL on failure.
   Made once per packing, shared by every thread and call. */
void *acim_igemm_weights(const acim_igemm_plan *plan, void *packed);
void acim_igemm_weights_destroy(void *weights);

/* C = A * B with B's weights operand made for `plan` (or a plan of the same packing); A is m x k row-major
   (stride k), C m x n row-major (stride n). Returns 0 on success. */
int acim_igemm_execute(const acim_igemm_plan *plan, const uint8_t *a, const void *weights, float *c);
