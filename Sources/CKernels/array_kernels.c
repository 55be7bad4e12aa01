#include "array_kernels.h"

#include <stddef.h>

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__clang__)
#define WIDEST __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WIDEST
#endif

/* Sixteen lanes of 32-bit values per iteration: a full AVX-512 register, two of AVX2. */
#define WIDE_LOOP _Pragma("clang loop vectorize_width(16) interleave_count(1)")

/* Groups per block of the shift-and-add: the partial values of a block stay in registers and L1. */
enum { BLOCK = 64 };

/* Adding and subtracting 1.5 x 2^23 (2^52 for doubles) rounds half to even in the default rounding mode. */
#define MAGIC 0x1.8p23f
#define MAGIC_DOUBLE 0x1.8p52

/* Where a read-out's column values come from: decoded sums, or raw column sums converted as they are read.
   Passed by value with compile-time flags, so that each entry point below gets loops of its own with no
   branch inside. */
typedef struct {
    const double *decoded;
    const float *sums;
    const float *read;
    float factor, top, bottom;
    double step;
} source;

/* The decoded sum at position i: given, or code = round-half-even(clamp(sum * factor, bottom, top)), times the
   read mask (masked), times step, rounded to an integer (rounds) when the step is finer than one unit. */
static inline __attribute__((always_inline)) double column(source from, int converts, int masked, int rounds,
                                                           int64_t i) {
    if (!converts) return from.decoded[i];
    float x = from.sums[i] * from.factor;
    x = x > from.bottom ? x : from.bottom;
    x = x < from.top ? x : from.top;
    float code = (x + MAGIC) - MAGIC;
    if (masked) code *= from.read[i];
    const double value = (double)code * from.step;
    return rounds ? (value + MAGIC_DOUBLE) - MAGIC_DOUBLE : value;
}

/* The shift-and-add of sliced weights runs slice by slice over a block of groups, so consecutive groups fill
   the vector lanes (contiguous loads where the groups' columns are slot-major, group_stride 1); each group
   still sums its slices in slice order, as the scalar definition does. Differential weights take slot 2k
   less slot 2k+1 for slice k (and no offset), offset-encoded weights slot k. */
static inline __attribute__((always_inline)) void sliced(source from, int converts, int masked, int rounds,
                                                          int differential, int64_t groups, int64_t group_stride,
                                                          int64_t slot_stride, const double *slice_weights,
                                                          int64_t slices, double offset, double weight,
                                                          double *output) {
    double value[BLOCK];
    for (int64_t first = 0; first < groups; first += BLOCK) {
        const int64_t count = groups - first < BLOCK ? groups - first : BLOCK;
        for (int64_t g = 0; g < count; g++) value[g] = 0.0;
        for (int64_t k = 0; k < slices; k++) {
            const double slice = slice_weights[k];
            const int64_t slot = first * group_stride + (differential ? 2 * k : k) * slot_stride;
            for (int64_t g = 0; g < count; g++) {
                double sum = column(from, converts, masked, rounds, slot + g * group_stride);
                if (differential) sum -= column(from, converts, masked, rounds, slot + slot_stride + g * group_stride);
                value[g] += slice * sum;
            }
        }
        for (int64_t g = 0; g < count; g++) output[first + g] += weight * (value[g] - offset);
    }
}

static inline __attribute__((always_inline)) void xnor(source from, int converts, int masked, int rounds, int64_t groups,
                                                        int64_t group_stride, double offset, double weight,
                                                        double *output) {
    for (int64_t g = 0; g < groups; g++) output[g] += weight * (2 * column(from, converts, masked, rounds, g * group_stride) + offset);
}

/* Runs BODY(from, converts, masked, rounds) with the flags as constants: decoded sums, or raw sums with
   and without a read mask, rounded or not. */
#define DECODED(decoded) ((source){decoded, NULL, NULL, 0, 0, 0, 0})
#define CONVERTED(BODY, row)                                                                          \
    do {                                                                                              \
        const source from = {NULL, (row)->sums, (row)->read, (row)->factor, (row)->top, (row)->bottom,  \
                             (row)->step};                                                            \
        if ((row)->read && (row)->round_decoded) BODY(from, 1, 1, 1);                                 \
        else if ((row)->read) BODY(from, 1, 1, 0);                                                    \
        else if ((row)->round_decoded) BODY(from, 1, 0, 1);                                           \
        else BODY(from, 1, 0, 0);                                                                     \
    } while (0)

WIDEST
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output) {
    sliced(DECODED(decoded), 0, 0, 0, 1, groups, group_stride, slot_stride, slice_weights, slices, 0.0, weight, output);
}

WIDEST
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output) {
    sliced(DECODED(decoded), 0, 0, 0, 0, groups, group_stride, slot_stride, slice_weights, slices, offset, weight, output);
}

WIDEST
void acim_shift_add_xnor(const double *decoded, int64_t groups, int64_t group_stride, double offset, double weight,
                         double *output) {
    xnor(DECODED(decoded), 0, 0, 0, groups, group_stride, offset, weight, output);
}

WIDEST
void acim_readout_differential(const acim_adc_row *row, int64_t groups, int64_t group_stride, int64_t slot_stride,
                               const double *slice_weights, int64_t slices, double weight, double *output) {
#define BODY(from, converts, masked, rounds) \
    sliced(from, converts, masked, rounds, 1, groups, group_stride, slot_stride, slice_weights, slices, 0.0, weight, output)
    CONVERTED(BODY, row);
#undef BODY
}

WIDEST
void acim_readout_offset(const acim_adc_row *row, int64_t groups, int64_t group_stride, int64_t slot_stride,
                         const double *slice_weights, int64_t slices, int64_t offset_position, double offset_scale,
                         double weight, double *output) {
#define BODY(from, converts, masked, rounds)                                                              \
    sliced(from, converts, masked, rounds, 0, groups, group_stride, slot_stride, slice_weights, slices,   \
           offset_scale * column(from, converts, masked, rounds, offset_position), weight, output)
    CONVERTED(BODY, row);
#undef BODY
}

WIDEST
void acim_readout_xnor(const acim_adc_row *row, int64_t groups, int64_t group_stride, double offset, double weight,
                       double *output) {
#define BODY(from, converts, masked, rounds) xnor(from, converts, masked, rounds, groups, group_stride, offset, weight, output)
    CONVERTED(BODY, row);
#undef BODY
}

WIDEST
int32_t acim_extract_digits(const int32_t *values, const int32_t *enabled, int64_t count, int32_t shift,
                            int32_t max_digit, uint8_t *digits, int32_t *digit_sums) {
    int32_t non_zero = 0;
    WIDE_LOOP
    for (int64_t i = 0; i < count; i++) {
        const int32_t digit = ((values[i] >> shift) & max_digit) & enabled[i];
        digits[i] = (uint8_t)digit;
        digit_sums[i] += digit;
        non_zero += digit != 0;
    }
    return non_zero;
}

WIDEST
int32_t acim_extract_signed_digits(const int32_t *values, const int32_t *enabled, int64_t count, int32_t shift,
                                   int32_t max_digit, uint8_t *digits, uint8_t *negative, int32_t *digit_sums) {
    int32_t non_zero = 0;
    WIDE_LOOP
    for (int64_t i = 0; i < count; i++) {
        const int32_t magnitude = values[i] < 0 ? -values[i] : values[i];
        const int32_t digit = ((magnitude >> shift) & max_digit) & enabled[i];
        digits[i] = (uint8_t)digit;
        negative[i] = (uint8_t)(values[i] < 0);
        digit_sums[i] += digit;
        non_zero += digit != 0;
    }
    return non_zero;
}

WIDEST
int64_t acim_charge(const int32_t *digit_sums, const uint32_t *level_sums, int64_t count) {
    int64_t charge = 0;
    for (int64_t i = 0; i < count; i++) charge += (int64_t)digit_sums[i] * (int64_t)level_sums[i];
    return charge;
}

WIDEST
int64_t acim_count_zeros(const int32_t *values, const int32_t *enabled, int64_t count) {
    int32_t zeros = 0;
    for (int64_t i = 0; i < count; i++) zeros += (values[i] == 0) & enabled[i];
    return zeros;
}
