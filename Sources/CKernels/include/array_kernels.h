#pragma once
/* The per-column loops of an MVM's read-out: ADC conversion of a row of column sums and the shift-and-add
   of the decoded sums into weight-group outputs, and the digit planes of the inputs. Plain IEEE arithmetic in a fixed order (no fused
   multiply-add), so every build and every instruction set gives the same bits; each function is compiled
   for AVX-512, AVX2 and baseline x86-64, the widest the CPU runs chosen at load time. */
#include <stdint.h>

/* One row of raw column sums converted at one full scale: the code of a sum is
   round-half-even(clamp(sum * factor, bottom, top)), zero where the read mask is 0 (a column no ADC reads),
   and one code step stands for `step` unit products. When a step is finer than one unit (round_decoded), a
   code decodes to code * step rounded half-even to a whole unit product. The row's shift-and-add weight is
   `weight`, plus or minus a power of two. decode_in_float says that rounding code * (float)step in single
   precision gives the same whole unit product for every code of the ADC (acim_decodes_exactly_in_float), so
   the read-out may decode such a row in 32-bit lanes. `unclipped` says that no sum of the row reaches a
   clamp: every sum * factor is at least bottom and below top + 1/2, so clamping changes no code and the
   read-out may leave it out. */
typedef struct {
    const float *sums;
    float factor;
    double step;
    int32_t round_decoded;
    int32_t decode_in_float;
    int32_t unclipped;
    double weight;
} acim_adc_row;

/* Whether round-half-even(code * (float)step), computed in single precision, equals round-half-even(code *
   step) in double precision for every integer code in bottom ... top. */
int32_t acim_decodes_exactly_in_float(double step, float top, float bottom);

/* Whether a row converted at `factor` and `step` (finer than one unit product, so decoded to whole units)
   gives back every whole column sum 0 ... largest_sum exactly, with the operations of the read-out: no
   sum clips and none rounds to another. */
int32_t acim_adc_is_lossless(float factor, double step, float top, float bottom, int64_t largest_sum);

/* The digits of phases 0 ..< count of one vector combined: combined[i] = sum_p digits[p * stride + i] <<
   (p * digit_bits), for i < lines; the caller keeps the sums below 256. */
void acim_combine_planes(const uint8_t *digits, int64_t stride, int32_t count, int32_t digit_bits, int64_t lines,
                         uint8_t *combined);

/* The shift-and-add of one phase: the column value of slot j (slice column) of weight group g is at position
   g*group_stride + j*slot_stride. acim_shift_add_* take decoded sums (one per column, each at its own
   scale) and add, in slice order:
   differential: output[g] += weight * sum_k slice_weights[k] * (slot 2k - slot 2k+1);
   offset:       output[g] += weight * (sum_k slice_weights[k] * slot k - offset);
   xnor:         output[g] += weight * (2 * slot 0 + offset).
   acim_readout_* convert `count` rows of raw sums as they are read, with one read mask (NULL for none) and
   one ADC range (bottom is 0 for a unipolar ADC, -top for a bipolar one), and add them in row order. A row
   of whole-unit decoded sums (round_decoded) adds as acim_shift_add_* would, with slice weights
   2^(k * slice_bits) and the offset column's decoded sum times offset_scale. Any other row adds its codes:
   output[g] += (weight * step) * combined code of group g, the combined code the exact integer
   sum_k 2^(k * slice_bits) * (code 2k - code 2k+1) (differential) or sum_k 2^(k * slice_bits) * code k
   - offset_scale * offset code (offset). `narrow` says the combined codes fit 32 bits (faster; the result
   is the same). XNOR rows add weight * (2 * code * step + offset), as decoded sums. */
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output);
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output);
void acim_shift_add_xnor(const double *decoded, int64_t groups, int64_t group_stride, double offset, double weight,
                         double *output);
void acim_readout_differential(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                               int32_t narrow, int64_t groups, int64_t group_stride, int64_t slot_stride,
                               int32_t slice_bits, int64_t slices, double *output);
void acim_readout_offset(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                         int32_t narrow, int64_t groups, int64_t group_stride, int64_t slot_stride,
                         int32_t slice_bits, int64_t slices, int64_t offset_position, double offset_scale,
                         double *output);
void acim_readout_xnor(const acim_adc_row *rows, int64_t count, const float *read, float top, float bottom,
                       int64_t groups, int64_t group_stride, double offset, double *output);

/* The digit planes of one input vector, every bit-serial phase in one pass over it, from the vector's inputs:
   the pass value of input x is sign * x (sign +1 or -1), raised to 0 when `clamps`, plus `bias` (wrapping
   32-bit arithmetic). Row p of digits (at digits + p * stride) gets ((m >> (p * digit_bits)) & max_digit) for
   enabled rows (enabled[i] 0xff) and 0 for the others (0), where m is the pass value, or its magnitude for
   signed inputs in sign-magnitude form (negative not NULL: row p of negative, at the same offsets, gets 1
   where the value is negative, else 0). With non_zero and zeros both given (else neither is counted),
   non_zero[p] gets the number of non-zero digits of phase p and *zeros the number of enabled rows whose
   value is 0. Digit sums and level sums must be below 2^32 each, and level_sum_bound at least every level
   sum. Returns the vector's unit bit-line charge, the sum over rows of (the row's digits summed over the
   phases) * level_sums[i], in 64-bit integers. */
int64_t acim_digit_planes(const int32_t *inputs, int32_t sign, int32_t clamps, int32_t bias, const uint8_t *enabled,
                          int64_t count, int32_t phases, int32_t digit_bits, int32_t max_digit,
                          const uint32_t *level_sums, uint32_t level_sum_bound, uint8_t *digits, uint8_t *negative,
                          int64_t stride, int32_t *non_zero, int64_t *zeros);

/* The number of enabled rows (enabled[i] 0xff) whose value is zero. */
int64_t acim_count_zeros(const int32_t *values, const uint8_t *enabled, int64_t count);
