#include "array_kernels.h"

#include <stddef.h>

#pragma clang fp contract(off)
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && defined(__clang__)
#define WIDEST __attribute__((target_clones("avx512bw", "avx2", "default")))
#else
#define WIDEST
#endif

/* An AVX-512 register of floats or of doubles (split into narrower registers on narrower instruction sets).
   The AVX-512 build takes the byte and word instructions too (AVX512BW), for the digit planes. */
typedef float float16 __attribute__((vector_size(64), aligned(4)));
typedef double double8 __attribute__((vector_size(64), aligned(8)));

/* Adding and subtracting 1.5 x 2^23 (2^52 for doubles) rounds half to even in the default rounding mode. */
#define MAGIC 0x1.8p23f
#define MAGIC_DOUBLE 0x1.8p52

/* Where a read-out's column values come from: decoded sums, or raw column sums converted as they are read.
   Passed by value with compile-time flags, so that each entry point below gets loops of its own with no
   branch inside the column loops. */
typedef struct {
    const double *decoded;
    const float *sums;
    const float *read;
    float factor, top, bottom;
    double step;
} source;

/* round-half-even(code * (float)step) in single precision: the whole-unit decode of a row whose codes
   decode_in_float. */
static inline __attribute__((always_inline)) float float_decode(float code, float step) {
    return (code * step + MAGIC) - MAGIC;
}

WIDEST
int32_t acim_decodes_exactly_in_float(double step, float top, float bottom) {
    const float narrow = (float)step;
    const int32_t codes = (int32_t)(top - bottom) + 1;
    int32_t differs = 0;
    for (int32_t i = 0; i < codes; i++) {
        const float code = bottom + (float)i;
        const double value = (double)code * step;
        differs |= (double)float_decode(code, narrow) != (value + MAGIC_DOUBLE) - MAGIC_DOUBLE;
    }
    return !differs;
}

WIDEST
int32_t acim_adc_is_lossless(float factor, double step, float top, float bottom, int64_t largest_sum) {
    if (!(step < 1.0)) return 0;
    /* No code decodes above top * step + 1/2: a larger sum clips and is lost (so at most top + 2 sums are
       tried). */
    if ((double)largest_sum > (double)top * step + 1.0) return 0;
    for (int64_t s = 0; s <= largest_sum; s++) {
        float x = (float)s * factor;
        x = x > bottom ? x : bottom;
        x = x < top ? x : top;
        const float code = (x + MAGIC) - MAGIC;
        const double value = (double)code * step;
        if ((value + MAGIC_DOUBLE) - MAGIC_DOUBLE != (double)s) return 0;
    }
    return 1;
}

WIDEST
void acim_combine_planes(const uint8_t *digits, int64_t stride, int32_t count, int32_t digit_bits, int64_t lines,
                         uint8_t *combined) {
    for (int64_t i = 0; i < lines; i++) combined[i] = 0;
    for (int32_t p = 0; p < count; p++) {
        const uint8_t *plane = digits + p * stride;
        const int shift = p * digit_bits;
        for (int64_t i = 0; i < lines; i++) combined[i] += (uint8_t)(plane[i] << shift);
    }
}

/* The decoded sum at position i: given, or code = round-half-even(clamp(sum * factor, bottom, top)), 0 where
   the read mask is 0 (masked), times step, rounded to an integer (rounds) when the step is finer than one
   unit. */
static inline __attribute__((always_inline)) double column(source from, int converts, int masked, int rounds,
                                                           int64_t i) {
    if (!converts) return from.decoded[i];
    float x = from.sums[i] * from.factor;
    if (masked && from.read[i] == 0) x = 0;
    x = x > from.bottom ? x : from.bottom;
    x = x < from.top ? x : from.top;
    const float code = (x + MAGIC) - MAGIC;
    const double value = (double)code * from.step;
    return rounds ? (value + MAGIC_DOUBLE) - MAGIC_DOUBLE : value;
}

typedef int32_t int32x16 __attribute__((vector_size(64), aligned(4)));
typedef uint32_t uint32x16 __attribute__((vector_size(64), aligned(4)));

/* *x = the sums at positions i ..< i + 16 times factor, 0 where the read mask is 0 (masked), clamped to
   bottom ... top where `clamps` (a row whose sums never reach a clamp leaves it out: acim_adc_row.unclipped).
   The clamp compares and selects, one instruction a bound (sums are never NaN). (Vectors this wide are
   written through pointers: returned, they would change the ABI of the narrower builds.) */
static inline __attribute__((always_inline)) void clamped16(source from, int masked, int clamps, int64_t i,
                                                            float16 *x) {
    const float16 zero = {0}, bottom = zero + from.bottom, top = zero + from.top;
    *x = *(const float16 *)(from.sums + i) * from.factor;
    if (masked) *x = (float16)((int32x16)*x & (*(const float16 *)(from.read + i) != 0));
    if (!clamps) return;
    const int32x16 above = *x > bottom;
    *x = (float16)(((int32x16)*x & above) | ((int32x16)bottom & ~above));
    const int32x16 below = *x < top;
    *x = (float16)(((int32x16)*x & below) | ((int32x16)top & ~below));
}

/* *code = the codes at positions i ..< i + 16, round-half-even of clamped16. */
static inline __attribute__((always_inline)) void code16(source from, int masked, int clamps, int64_t i,
                                                         float16 *code) {
    const float16 magic = (float16){0} + MAGIC;
    clamped16(from, masked, clamps, i, code);
    *code = (*code + magic) - magic;
}

/* *code = code16 as 32-bit integers: x + 1.5 x 2^23 holds round-half-even(x) in the low bits of its
   significand for |x| below 2^22 (codes have at most 16 bits), read off by subtracting the bits of 1.5 x 2^23. */
static inline __attribute__((always_inline)) void integer_code16(source from, int masked, int clamps, int64_t i,
                                                                 int32x16 *code) {
    const float16 magic = (float16){0} + MAGIC;
    float16 x;
    clamped16(from, masked, clamps, i, &x);
    *code = (int32x16)(x + magic) - (int32x16)magic;
}

/* *low, *high = column() at positions i ..< i + 8 and i + 8 ..< i + 16, with the same operations lane by lane
   (written through pointers: a function returning a vector this wide would change the ABI of the narrower
   builds). */
static inline __attribute__((always_inline)) void column16(source from, int converts, int masked, int rounds,
                                                           int64_t i, double8 *low, double8 *high) {
    if (!converts) {
        *low = *(const double8 *)(from.decoded + i);
        *high = *(const double8 *)(from.decoded + i + 8);
        return;
    }
    float16 code;
    code16(from, masked, 1, i, &code);
    const double8 magic_double = (double8){0} + MAGIC_DOUBLE;
    double8 value = __builtin_convertvector(__builtin_shufflevector(code, code, 0, 1, 2, 3, 4, 5, 6, 7), double8)
                    * from.step;
    *low = rounds ? (value + magic_double) - magic_double : value;
    value = __builtin_convertvector(__builtin_shufflevector(code, code, 8, 9, 10, 11, 12, 13, 14, 15), double8)
            * from.step;
    *high = rounds ? (value + magic_double) - magic_double : value;
}

/* The value of groups first ..< first + 16 of one row (group_stride 1): each group's slices summed in slice
   order, slice_weights[k] times the decoded sum of slot k (differential: slot 2k less slot 2k+1). */
static inline __attribute__((always_inline)) void value16(source from, int converts, int masked, int rounds,
                                                          int differential, int64_t first, int64_t slot_stride,
                                                          const double *slice_weights, int64_t slices,
                                                          double8 *low, double8 *high) {
    *low = (double8){0};
    *high = (double8){0};
    for (int64_t k = 0; k < slices; k++) {
        const int64_t slot = first + (differential ? 2 * k : k) * slot_stride;
        double8 sum_low, sum_high;
        column16(from, converts, masked, rounds, slot, &sum_low, &sum_high);
        if (differential) {
            double8 minus_low, minus_high;
            column16(from, converts, masked, rounds, slot + slot_stride, &minus_low, &minus_high);
            sum_low -= minus_low;
            sum_high -= minus_high;
        }
        *low += slice_weights[k] * sum_low;
        *high += slice_weights[k] * sum_high;
    }
}

/* The value of group g of one row, as value16 computes it for one lane. */
static inline __attribute__((always_inline)) double value1(source from, int converts, int masked, int rounds,
                                                           int differential, int64_t g, int64_t group_stride,
                                                           int64_t slot_stride, const double *slice_weights,
                                                           int64_t slices) {
    double value = 0.0;
    for (int64_t k = 0; k < slices; k++) {
        const int64_t slot = g * group_stride + (differential ? 2 * k : k) * slot_stride;
        double sum = column(from, converts, masked, rounds, slot);
        if (differential) sum -= column(from, converts, masked, rounds, slot + slot_stride);
        value += slice_weights[k] * sum;
    }
    return value;
}

/* *sum = the combined code of groups first ..< first + 16 of one row (group_stride 1), in 32-bit integers:
   each group's slice codes shifted by k * slice_bits and summed (differential: slot 2k less slot 2k+1),
   less offset. Exact while the caller's bound on it holds (`narrow`). */
static inline __attribute__((always_inline)) void combined16(source from, int masked, int clamps, int differential,
                                                             int64_t first, int64_t slot_stride, int32_t slice_bits,
                                                             int64_t slices, int32_t offset, int32x16 *sum) {
    *sum = (int32x16){0} - offset;
    for (int64_t k = 0; k < slices; k++) {
        const int64_t slot = first + (differential ? 2 * k : k) * slot_stride;
        int32x16 code, minus;
        integer_code16(from, masked, clamps, slot, &code);
        if (differential) {
            integer_code16(from, masked, clamps, slot + slot_stride, &minus);
            code -= minus;
        }
        *sum += (int32x16)((uint32x16)code << (uint32_t)(k * slice_bits));
    }
}

/* *sum = the value of groups first ..< first + 16 of one row (group_stride 1) whose codes decode in single
   precision (decode_in_float): each group's whole-unit decoded sums shifted by k * slice_bits and summed
   (differential: slot 2k less slot 2k+1), in 32-bit integers. Exact while the caller's bound on it holds. */
static inline __attribute__((always_inline)) void decoded16(source from, int masked, int clamps, int differential,
                                                            int64_t first, int64_t slot_stride, int32_t slice_bits,
                                                            int64_t slices, int32x16 *sum) {
    const float16 magic = (float16){0} + MAGIC;
    const float step = (float)from.step;
    *sum = (int32x16){0};
    for (int64_t k = 0; k < slices; k++) {
        const int64_t slot = first + (differential ? 2 * k : k) * slot_stride;
        float16 code, minus;
        code16(from, masked, clamps, slot, &code);
        /* float_decode lane by lane (acim_decodes_exactly_in_float checks those operations), its sum read off as
           an integer the way integer_code16 reads a code. */
        int32x16 value = (int32x16)((code * step + magic)) - (int32x16)magic;
        if (differential) {
            code16(from, masked, clamps, slot + slot_stride, &minus);
            value -= (int32x16)((minus * step + magic)) - (int32x16)magic;
        }
        *sum += (int32x16)((uint32x16)value << (uint32_t)(k * slice_bits));
    }
}

/* The combined code of group g of one row, in 64-bit integers: exact. */
static inline __attribute__((always_inline)) int64_t combined1(source from, int masked, int differential, int64_t g,
                                                               int64_t group_stride, int64_t slot_stride,
                                                               int32_t slice_bits, int64_t slices, int64_t offset) {
    from.step = 1.0;
    int64_t sum = 0;
    for (int64_t k = 0; k < slices; k++) {
        const int64_t slot = g * group_stride + (differential ? 2 * k : k) * slot_stride;
        int64_t code = (int64_t)column(from, 1, masked, 0, slot);
        if (differential) code -= (int64_t)column(from, 1, masked, 0, slot + slot_stride);
        sum += (int64_t)((uint64_t)code << (k * slice_bits));
    }
    return sum - offset;
}

/* The shift-and-add of sliced weights over `count` rows that add into the same outputs, in row order.
   Decoded sums (rows[r].converts 0, or a row whose codes decode to whole unit products, rounds[r] 1):
   output[g] += weights[r] * (value of group g in row r - offsets[r]), the value summing slice_weights[k]
   times the decoded sum of slot k (differential: slot 2k less slot 2k+1) in slice order; a row that
   float_decodes[r] (its decode exact in single precision, its values within 32 bits) sums the same whole
   numbers in 32-bit integers (`decoded16`), which gives the same values. Codes of one scale
   (converts, rounds[r] 0): output[g] += scaled[r] * (combined code of group g less code_offsets[r]), the
   combined code an exact integer (`combined16`, `combined1`; in doubles from unit-step codes when its bound
   does not allow 32 bits, `narrow` 0). Where the groups' columns are consecutive (slot-major, group_stride
   1), sixteen groups run at a time in vectors, their outputs held in registers across the rows, and a row
   whose sums never reach a clamp (unclipped[r]) converts without one; every output still takes the same
   additions in the same order. */
static inline __attribute__((always_inline)) void sliced(const source *rows, const int32_t *rounds,
                                                          const int32_t *float_decodes, const int32_t *unclipped,
                                                          const double *weights,
                                                          const double *offsets,
                                                          const double *scaled, const int64_t *code_offsets,
                                                          int64_t count, int converts, int masked, int differential,
                                                          int narrow, int64_t groups, int64_t group_stride,
                                                          int64_t slot_stride, int32_t slice_bits,
                                                          const double *slice_weights, int64_t slices,
                                                          double *output) {
    int64_t first = 0;
    if (group_stride == 1) {
        for (; first + 16 <= groups; first += 16) {
            double8 out_low = *(double8 *)(output + first), out_high = *(double8 *)(output + first + 8);
            for (int64_t r = 0; r < count; r++) {
                double8 low, high;
                if (converts && !rounds[r] && narrow) {
                    int32x16 code;
                    if (unclipped[r]) {
                        combined16(rows[r], masked, 0, differential, first, slot_stride, slice_bits, slices,
                                   (int32_t)code_offsets[r], &code);
                    } else {
                        combined16(rows[r], masked, 1, differential, first, slot_stride, slice_bits, slices,
                                   (int32_t)code_offsets[r], &code);
                    }
                    low = __builtin_convertvector(__builtin_shufflevector(code, code, 0, 1, 2, 3, 4, 5, 6, 7), double8);
                    high = __builtin_convertvector(__builtin_shufflevector(code, code, 8, 9, 10, 11, 12, 13, 14, 15),
                                                   double8);
                    out_low += scaled[r] * low;
                    out_high += scaled[r] * high;
                    continue;
                }
                if (converts && rounds[r] && float_decodes[r]) {
                    /* Whole-unit decoded sums, combined as integers: the same values the doubles below give. */
                    int32x16 sum;
                    if (unclipped[r]) {
                        decoded16(rows[r], masked, 0, differential, first, slot_stride, slice_bits, slices, &sum);
                    } else {
                        decoded16(rows[r], masked, 1, differential, first, slot_stride, slice_bits, slices, &sum);
                    }
                    low = __builtin_convertvector(__builtin_shufflevector(sum, sum, 0, 1, 2, 3, 4, 5, 6, 7), double8);
                    high = __builtin_convertvector(__builtin_shufflevector(sum, sum, 8, 9, 10, 11, 12, 13, 14, 15),
                                                   double8);
                    out_low += weights[r] * (low - offsets[r]);
                    out_high += weights[r] * (high - offsets[r]);
                    continue;
                }
                if (converts && !rounds[r]) {
                    /* Unit-step codes: sums of integers below 2^53, exact in doubles. */
                    source unit = rows[r];
                    unit.step = 1.0;
                    value16(unit, 1, masked, 0, differential, first, slot_stride, slice_weights, slices, &low, &high);
                    out_low += scaled[r] * (low - (double)code_offsets[r]);
                    out_high += scaled[r] * (high - (double)code_offsets[r]);
                    continue;
                }
                if (rounds[r]) {
                    value16(rows[r], converts, masked, 1, differential, first, slot_stride, slice_weights, slices,
                            &low, &high);
                } else {
                    value16(rows[r], converts, masked, 0, differential, first, slot_stride, slice_weights, slices,
                            &low, &high);
                }
                out_low += weights[r] * (low - offsets[r]);
                out_high += weights[r] * (high - offsets[r]);
            }
            *(double8 *)(output + first) = out_low;
            *(double8 *)(output + first + 8) = out_high;
        }
    }
    if (converts && group_stride != 1 && first < groups) {
        /* Columns in array order: each row's columns are first converted in one pass over them, to codes or
           (rounds) whole-unit decoded sums, all integers, then combined group by group. */
        const int64_t span = (groups - 1) * group_stride + ((differential ? 2 : 1) * slices - 1) * slot_stride + 1;
        int32_t staged[span];
        for (int64_t r = 0; r < count; r++) {
            source from = rows[r];
            /* Codes have at most 16 bits, and a whole-unit decoded sum is at most the full scale, below 2^31. */
            if (rounds[r]) {
                for (int64_t i = 0; i < span; i++) staged[i] = (int32_t)column(from, 1, masked, 1, i);
            } else {
                from.step = 1.0;
                for (int64_t i = 0; i < span; i++) staged[i] = (int32_t)column(from, 1, masked, 0, i);
            }
            for (int64_t g = first; g < groups; g++) {
                int64_t sum = 0;
                for (int64_t k = 0; k < slices; k++) {
                    const int64_t slot = g * group_stride + (differential ? 2 * k : k) * slot_stride;
                    const int64_t value = differential ? (int64_t)staged[slot] - staged[slot + slot_stride] : staged[slot];
                    sum += (int64_t)((uint64_t)value << (k * slice_bits));
                }
                output[g] += rounds[r] ? weights[r] * ((double)sum - offsets[r])
                                       : scaled[r] * (double)(sum - code_offsets[r]);
            }
        }
        return;
    }
    for (int64_t g = first; g < groups; g++) {
        double out = output[g];
        for (int64_t r = 0; r < count; r++) {
            if (converts && !rounds[r]) {
                out += scaled[r] * (double)combined1(rows[r], masked, differential, g, group_stride, slot_stride,
                                                     slice_bits, slices, code_offsets[r]);
                continue;
            }
            const double value = rounds[r]
                ? value1(rows[r], converts, masked, 1, differential, g, group_stride, slot_stride, slice_weights, slices)
                : value1(rows[r], converts, masked, 0, differential, g, group_stride, slot_stride, slice_weights, slices);
            out += weights[r] * (value - offsets[r]);
        }
        output[g] = out;
    }
}

static inline __attribute__((always_inline)) void xnor(source from, int converts, int masked, int rounds, int64_t groups,
                                                        int64_t group_stride, double offset, double weight,
                                                        double *output) {
    for (int64_t g = 0; g < groups; g++) output[g] += weight * (2 * column(from, converts, masked, rounds, g * group_stride) + offset);
}

#define DECODED(decoded) ((source){decoded, NULL, NULL, 0, 0, 0, 0})

WIDEST
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output) {
    const source from = DECODED(decoded);
    const int32_t rounds = 0;
    const double offset = 0.0;
    sliced(&from, &rounds, &rounds, &rounds, &weight, &offset, NULL, NULL, 1, 0, 0, 1, 0, groups, group_stride,
           slot_stride, 0, slice_weights, slices, output);
}

WIDEST
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output) {
    const source from = DECODED(decoded);
    const int32_t rounds = 0;
    sliced(&from, &rounds, &rounds, &rounds, &weight, &offset, NULL, NULL, 1, 0, 0, 0, 0, groups, group_stride,
           slot_stride, 0, slice_weights, slices, output);
}

WIDEST
void acim_shift_add_xnor(const double *decoded, int64_t groups, int64_t group_stride, double offset, double weight,
                         double *output) {
    xnor(DECODED(decoded), 0, 0, 0, groups, group_stride, offset, weight, output);
}

/* acim_readout_differential and acim_readout_offset: `differential`, or offset-encoded with the offset
   column at offset_position (its decoded sum, or its code, times offset_scale). */
static inline __attribute__((always_inline)) void readout_sliced(const acim_adc_row *rows, int64_t count,
                                                                  const float *read, float top, float bottom,
                                                                  int differential, int narrow, int64_t groups,
                                                                  int64_t group_stride, int64_t slot_stride,
                                                                  int32_t slice_bits, int64_t slices,
                                                                  int64_t offset_position, double offset_scale,
                                                                  double *output) {
    if (count <= 0) return;
    source from[count];
    int32_t rounds[count], float_decodes[count], unclipped[count];
    double weights[count], offsets[count], scaled[count], slice_weights[slices > 0 ? slices : 1];
    int64_t code_offsets[count];
    double slice_weight_sum = 0;
    for (int64_t k = 0; k < slices; k++) {
        slice_weights[k] = (double)((int64_t)1 << (k * slice_bits));
        slice_weight_sum += slice_weights[k];
    }
    const int masked = read != NULL;
    const double largest_code = top > -bottom ? top : -bottom;
    for (int64_t r = 0; r < count; r++) {
        from[r] = (source){NULL, rows[r].sums, read, rows[r].factor, top, bottom, rows[r].step};
        rounds[r] = rows[r].round_decoded;
        unclipped[r] = rows[r].unclipped;
        /* A group's value is at most the largest decoded sum (twice that for a differential slice, whose G- sum
           may be negative with a bipolar ADC) times the slice weights' sum. */
        float_decodes[r] = rows[r].round_decoded && rows[r].decode_in_float
                           && (largest_code * rows[r].step + 1) * (differential ? 2 : 1) * slice_weight_sum
                                  < 2147483647.0;
        weights[r] = rows[r].weight;
        /* A power of two times the step: exact. */
        scaled[r] = rows[r].weight * rows[r].step;
        offsets[r] = 0.0;
        code_offsets[r] = 0;
        if (!differential) {
            source unit = from[r];
            unit.step = 1.0;
            if (rounds[r]) offsets[r] = offset_scale * column(from[r], 1, masked, 1, offset_position);
            else code_offsets[r] = (int64_t)(offset_scale * column(unit, 1, masked, 0, offset_position));
        }
    }
#define SLICED(masked, differential, narrow)                                                                    \
    sliced(from, rounds, float_decodes, unclipped, weights, offsets, scaled, code_offsets, count, 1, masked,      \
           differential, narrow, groups, group_stride, slot_stride, slice_bits, slice_weights, slices, output)
    if (differential) {
        if (masked) narrow ? SLICED(1, 1, 1) : SLICED(1, 1, 0);
        else narrow ? SLICED(0, 1, 1) : SLICED(0, 1, 0);
    } else {
        if (masked) narrow ? SLICED(1, 0, 1) : SLICED(1, 0, 0);
        else narrow ? SLICED(0, 0, 1) : SLICED(0, 0, 0);
    }
#undef SLICED
}

WIDEST
void acim_readout_differential(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                               int32_t narrow, int64_t groups, int64_t group_stride, int64_t slot_stride,
                               int32_t slice_bits, int64_t slices, double *output) {
    readout_sliced(rows, count, read, top, bottom, 1, narrow, groups, group_stride, slot_stride, slice_bits, slices,
                   0, 0.0, output);
}

WIDEST
void acim_readout_offset(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                         int32_t narrow, int64_t groups, int64_t group_stride, int64_t slot_stride,
                         int32_t slice_bits, int64_t slices, int64_t offset_position, double offset_scale,
                         double *output) {
    readout_sliced(rows, count, read, top, bottom, 0, narrow, groups, group_stride, slot_stride, slice_bits, slices,
                   offset_position, offset_scale, output);
}

WIDEST
void acim_readout_xnor(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                       int64_t groups, int64_t group_stride, double offset, double *output) {
    for (int64_t r = 0; r < count; r++) {
        const source from = {NULL, rows[r].sums, read, rows[r].factor, top, bottom, rows[r].step};
        const int masked = read != NULL, rounds = rows[r].round_decoded;
        if (masked && rounds) xnor(from, 1, 1, 1, groups, group_stride, offset, rows[r].weight, output);
        else if (masked) xnor(from, 1, 1, 0, groups, group_stride, offset, rows[r].weight, output);
        else if (rounds) xnor(from, 1, 0, 1, groups, group_stride, offset, rows[r].weight, output);
        else xnor(from, 1, 0, 0, groups, group_stride, offset, rows[r].weight, output);
    }
}

typedef uint64_t uint64x16 __attribute__((vector_size(128), aligned(8)));
typedef uint8_t uint8x16 __attribute__((vector_size(16), aligned(1)));
typedef int8_t int8x16 __attribute__((vector_size(16), aligned(1)));

typedef uint8_t uint8x64 __attribute__((vector_size(64), aligned(1)));
typedef int8_t int8x64 __attribute__((vector_size(64), aligned(1)));

/* The low bytes of the 64 int32 lanes of part[0..3], in order. */
static inline __attribute__((always_inline)) void narrow64(const int32x16 *part, uint8x64 *bytes) {
    typedef uint8_t uint8x32 __attribute__((vector_size(32), aligned(1)));
    uint8x16 quarter[4];
    for (int q = 0; q < 4; q++) quarter[q] = __builtin_convertvector(part[q], uint8x16);
    const uint8x32 low_half = __builtin_shufflevector(quarter[0], quarter[1], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                                                      28, 29, 30, 31);
    const uint8x32 high_half = __builtin_shufflevector(quarter[2], quarter[3], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                                                       28, 29, 30, 31);
    *bytes = __builtin_shufflevector(low_half, high_half, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
                                     37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56,
                                     57, 58, 59, 60, 61, 62, 63);
}

/* The pass values of the 16 inputs at `inputs`: negated where `negate` is all ones, raised to `floor`,
   plus `bias`, in wrapping 32-bit arithmetic. */
static inline __attribute__((always_inline)) void pass16(const int32_t *inputs, uint32_t negate, int32_t floor,
                                                         int32_t bias, int32x16 *value) {
    const uint32x16 flip = (uint32x16){0} + negate;
    int32x16 x = (int32x16)(((uint32x16) * (const int32x16 *)inputs ^ flip) - flip);
    const int32x16 low = (int32x16){0} + floor;
    x = __builtin_elementwise_max(x, low);
    *value = (int32x16)((uint32x16)x + (uint32_t)bias);
}

/* The pass values of the 64 inputs at `inputs` (pass16) as bytes (their magnitudes when `magnitudes`, with
   *negative 1 where a value is negative), and whether every one (magnitude) is in 0...255. */
static inline __attribute__((always_inline)) int bytes64(const int32_t *inputs, uint32_t negate, int32_t floor,
                                                         int32_t bias, int magnitudes, uint8x64 *bytes,
                                                         uint8x64 *negative) {
    int32x16 part[4], sign[4];
    uint32x16 high = {0};
    for (int q = 0; q < 4; q++) {
        int32x16 value;
        pass16(inputs + 16 * q, negate, floor, bias, &value);
        if (magnitudes) {
            const int32x16 below = (int32x16)(value < 0);
            value = (value ^ below) - below;
            sign[q] = below & 1;
        }
        high |= (uint32x16)value;
        part[q] = value;
    }
    narrow64(part, bytes);
    if (magnitudes) narrow64(sign, negative);
    return __builtin_reduce_or(high) < 256;
}

/* The lanes of a comparison of 64 bytes as the bits of a 64-bit integer (lane i at bit i), read through a
   pointer like every vector this wide passed to a function. */
static inline __attribute__((always_inline)) uint64_t lane_bits(const uint8x64 *lanes) {
    typedef _Bool bool64 __attribute__((ext_vector_type(64)));
    const bool64 set = __builtin_convertvector(*lanes != 0, bool64);
    uint64_t bits;
    __builtin_memcpy(&bits, &set, sizeof bits);
    return bits;
}

/* acim_digit_planes, counting the non-zero digits of each phase and the zero values only when `counts`, and
   taking magnitudes and writing signs when `signs`. */
static inline __attribute__((always_inline)) int64_t digit_planes(const int32_t *inputs, int32_t sign,
                                                                  int32_t clamps, int32_t bias,
                                                                  const uint8_t *enabled, int64_t count,
                                                                  int32_t phases, int32_t digit_bits,
                                                                  int32_t max_digit, const uint32_t *level_sums,
                                                                  uint32_t level_sum_bound, uint8_t *digits,
                                                                  uint8_t *negative, int64_t stride,
                                                                  int32_t *non_zero, int64_t *zeros, int counts,
                                                                  int signs) {
    const uint32_t negate = sign < 0 ? 0xffffffffu : 0;
    const int32_t floor = clamps ? 0 : INT32_MIN;
    /* Sixty-four rows at a time as bytes where their values (magnitudes) fit one (inputs of at most 8 bits a
       pass), every phase of them while they are in registers: a digit and the sum of a row's digits over the
       phases then fit a byte too. A phase's digits are its bits shifted in 16-bit lanes (x86 has no byte
       shift) and masked with the phase's digit mask, which also clears the bits the shift brings in from the
       next byte. The counts are the bits set in comparison masks. A digit sum times a level sum is below
       2^8 * level_sum_bound: while the sums of every block's products stay below 2^32, the charge adds them
       in 32-bit lanes, else as exact unsigned 64-bit products. */
    typedef uint16_t uint16x32 __attribute__((vector_size(64), aligned(2)));
    if (counts) {
        for (int32_t p = 0; p < phases; p++) non_zero[p] = 0;
    }
    const int narrow_charge = (double)(count / 64 + 1) * 255.0 * (double)level_sum_bound < 4294967296.0;
    uint64x16 charges = {0};
    uint32x16 narrow_charges[4] = {{0}, {0}, {0}, {0}};
    uint8x64 keep[phases > 0 ? phases : 1];
    int32_t shifts[phases > 0 ? phases : 1];
    for (int32_t p = 0; p < phases; p++) {
        const int32_t shift = p * digit_bits;
        shifts[p] = shift < 8 ? shift : 0;
        keep[p] = (uint8x64){0} + (uint8_t)(shift < 8 ? max_digit & (0xff >> shift) : 0);
    }
    int64_t first = 0, zero_count = 0;
    for (; first + 64 <= count; first += 64) {
        uint8x64 value, below = {0};
        if (!bytes64(inputs + first, negate, floor, bias, signs, &value, &below)) break;
        const uint8x64 enable = *(const uint8x64 *)(enabled + first);
        if (counts) {
            const uint8x64 zero = (uint8x64)((value == 0) & (enable != 0));
            zero_count += __builtin_popcountll(lane_bits(&zero));
        }
        uint8x64 digit_sums = {0};
        for (int32_t p = 0; p < phases; p++) {
            const uint8x64 digit = (uint8x64)((uint16x32)value >> (uint16_t)shifts[p]) & keep[p] & enable;
            *(uint8x64 *)(digits + p * stride + first) = digit;
            if (signs) *(uint8x64 *)(negative + p * stride + first) = below;
            digit_sums += digit;
            if (counts) non_zero[p] += __builtin_popcountll(lane_bits(&digit));
        }
        for (int q = 0; q < 4; q++) {
            const uint8x16 part = *(const uint8x16 *)((const uint8_t *)&digit_sums + 16 * q);
            const uint32x16 levels = *(const uint32x16 *)(level_sums + first + 16 * q);
            if (narrow_charge) {
                narrow_charges[q] += __builtin_convertvector(part, uint32x16) * levels;
            } else {
                charges += __builtin_convertvector(part, uint64x16) * __builtin_convertvector(levels, uint64x16);
            }
        }
    }
    for (int q = 0; q < 4; q++) charges += __builtin_convertvector(narrow_charges[q], uint64x16);
    /* Wider values: sixteen rows at a time in 32-bit lanes, with per-lane counts of non-zero digits (less one
       per non-zero digit: a true comparison is -1). */
    int32x16 found_wide[phases > 0 ? phases : 1];
    if (counts) {
        for (int32_t p = 0; p < phases; p++) found_wide[p] = (int32x16){0};
    }
    for (; first + 16 <= count; first += 16) {
        int32x16 value;
        pass16(inputs + first, negate, floor, bias, &value);
        const int32x16 enable = __builtin_convertvector(*(const int8x16 *)(enabled + first), int32x16);
        if (counts) zero_count += __builtin_reduce_add((value == 0) & enable & 1);
        uint8x16 below = {0};
        if (signs) {
            const int32x16 negative_lanes = (int32x16)(value < 0);
            value = (value ^ negative_lanes) - negative_lanes;
            below = __builtin_convertvector(negative_lanes & 1, uint8x16);
        }
        int32x16 digit_sums = {0};
        for (int32_t p = 0; p < phases; p++) {
            const int32x16 digit = ((value >> (p * digit_bits)) & max_digit) & enable;
            *(uint8x16 *)(digits + p * stride + first) = __builtin_convertvector(digit, uint8x16);
            if (signs) *(uint8x16 *)(negative + p * stride + first) = below;
            digit_sums += digit;
            if (counts) found_wide[p] += (int32x16)(digit != 0);
        }
        charges += __builtin_convertvector((uint32x16)digit_sums, uint64x16)
                   * __builtin_convertvector(*(const uint32x16 *)(level_sums + first), uint64x16);
    }
    if (counts) {
        for (int32_t p = 0; p < phases; p++) non_zero[p] -= __builtin_reduce_add(found_wide[p]);
    }
    int64_t charge = 0;
    for (int l = 0; l < 16; l++) charge += (int64_t)charges[l];
    for (int64_t i = first; i < count; i++) {
        const int32_t input = (int32_t)((uint32_t)sign * (uint32_t)inputs[i]);
        const int32_t value = (int32_t)((uint32_t)(input > floor ? input : floor) + (uint32_t)bias);
        const int32_t enable = (int8_t)enabled[i];
        if (counts) zero_count += (value == 0) & enable & 1;
        const int32_t magnitude = signs && value < 0 ? -value : value;
        int32_t digit_sum = 0;
        for (int32_t p = 0; p < phases; p++) {
            const int32_t digit = ((magnitude >> (p * digit_bits)) & max_digit) & enable;
            digits[p * stride + i] = (uint8_t)digit;
            if (signs) negative[p * stride + i] = (uint8_t)(value < 0);
            digit_sum += digit;
            if (counts) non_zero[p] += digit != 0;
        }
        charge += (int64_t)digit_sum * (int64_t)level_sums[i];
    }
    if (counts) *zeros = zero_count;
    return charge;
}

WIDEST
int64_t acim_digit_planes(const int32_t *inputs, int32_t sign, int32_t clamps, int32_t bias, const uint8_t *enabled,
                          int64_t count, int32_t phases, int32_t digit_bits, int32_t max_digit,
                          const uint32_t *level_sums, uint32_t level_sum_bound, uint8_t *digits, uint8_t *negative,
                          int64_t stride, int32_t *non_zero, int64_t *zeros) {
#define PLANES(counts, signs)                                                                                    \
    digit_planes(inputs, sign, clamps, bias, enabled, count, phases, digit_bits, max_digit, level_sums,        \
                 level_sum_bound, digits, negative, stride, non_zero, zeros, counts, signs)
    const int counts = non_zero != NULL && zeros != NULL;
    if (negative) return counts ? PLANES(1, 1) : PLANES(0, 1);
    return counts ? PLANES(1, 0) : PLANES(0, 0);
#undef PLANES
}

WIDEST
int64_t acim_count_zeros(const int32_t *values, const uint8_t *enabled, int64_t count) {
    int32_t zeros = 0;
    for (int64_t i = 0; i < count; i++) zeros += (values[i] == 0) & enabled[i] & 1;
    return zeros;
}
