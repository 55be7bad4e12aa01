#include "array_kernels.h"

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__clang__)
#define WIDEST __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WIDEST
#endif

/* Sixteen lanes of 32-bit values per iteration: a full AVX-512 register, two of AVX2. */
#define WIDE_LOOP _Pragma("clang loop vectorize_width(16) interleave_count(1)")

WIDEST
void acim_adc_convert_row(const float *sums, int64_t count, float factor, float top, double step, int round_decoded,
                          double *decoded) {
    /* Adding and subtracting 1.5 x 2^23 (2^52 for doubles) rounds half to even in the default rounding mode. */
    const float magic = 0x1.8p23f;
    const double magic_double = 0x1.8p52;
    if (round_decoded) {
        WIDE_LOOP
        for (int64_t c = 0; c < count; c++) {
            float x = sums[c] * factor;
            x = x > 0 ? x : 0;
            x = x < top ? x : top;
            const float code = (x + magic) - magic;
            decoded[c] = ((double)code * step + magic_double) - magic_double;
        }
    } else {
        WIDE_LOOP
        for (int64_t c = 0; c < count; c++) {
            float x = sums[c] * factor;
            x = x > 0 ? x : 0;
            x = x < top ? x : top;
            const float code = (x + magic) - magic;
            decoded[c] = (double)code * step;
        }
    }
}

/* Groups per block of the shift-and-add: the partial values of a block stay in registers and L1. */
enum { BLOCK = 64 };

/* Both shift-and-add loops run slice by slice over a block of groups, so consecutive groups fill the vector
   lanes (contiguous loads where the groups' columns are slot-major, group_stride 1); each group still sums
   its slices in slice order, as the scalar definition does. */
WIDEST
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output) {
    double value[BLOCK];
    for (int64_t first = 0; first < groups; first += BLOCK) {
        const int64_t count = groups - first < BLOCK ? groups - first : BLOCK;
        for (int64_t g = 0; g < count; g++) value[g] = 0.0;
        for (int64_t k = 0; k < slices; k++) {
            const double slice = slice_weights[k];
            const double *plus = decoded + first * group_stride + 2 * k * slot_stride;
            const double *minus = plus + slot_stride;
            for (int64_t g = 0; g < count; g++) value[g] += slice * (plus[g * group_stride] - minus[g * group_stride]);
        }
        for (int64_t g = 0; g < count; g++) output[first + g] += weight * value[g];
    }
}

WIDEST
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output) {
    double value[BLOCK];
    for (int64_t first = 0; first < groups; first += BLOCK) {
        const int64_t count = groups - first < BLOCK ? groups - first : BLOCK;
        for (int64_t g = 0; g < count; g++) value[g] = 0.0;
        for (int64_t k = 0; k < slices; k++) {
            const double slice = slice_weights[k];
            const double *column = decoded + first * group_stride + k * slot_stride;
            for (int64_t g = 0; g < count; g++) value[g] += slice * column[g * group_stride];
        }
        for (int64_t g = 0; g < count; g++) output[first + g] += weight * (value[g] - offset);
    }
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
