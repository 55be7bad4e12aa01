#pragma once
/* The per-column loops of an MVM's read-out: ADC conversion of a row of column sums and the shift-and-add
   of the decoded sums into weight-group outputs. Plain IEEE arithmetic in a fixed order (no fused
   multiply-add), so every build and every instruction set gives the same bits; each function is compiled
   for AVX-512, AVX2 and baseline x86-64, the widest the CPU runs chosen at load time. */
#include <stdint.h>

/* decoded[c] = the column sum that the code of sums[c] stands for: code = round-half-even(clamp(sums[c] *
   factor, 0, top)); decoded = code * step, rounded half-even to an integer when round_decoded. */
void acim_adc_convert_row(const float *sums, int64_t count, float factor, float top, double step, int round_decoded,
                          double *decoded);

/* The decoded sum of slot j (slice column) of weight group g is decoded[g*group_stride + j*slot_stride]. */

/* output[g] += weight * sum_k slice_weights[k] * (slot 2k - slot 2k+1 of group g), summed in slice order. */
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output);

/* output[g] += weight * (sum_k slice_weights[k] * slot k of group g - offset), summed in slice order. */
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output);

/* The digits of one bit-serial phase of one input vector: digits[i] = ((values[i] >> shift) & max_digit) &
   enabled[i] (enabled is all ones or all zeros per row), added to digit_sums; returns the number of non-zero
   digits. */
int32_t acim_extract_digits(const int32_t *values, const int32_t *enabled, int64_t count, int32_t shift,
                            int32_t max_digit, uint8_t *digits, int32_t *digit_sums);

/* The unit bit-line charge of a vector from the sums of its digits over its phases: sum of
   digit_sums[i] * level_sums[i], in 64-bit integers. */
int64_t acim_charge(const int32_t *digit_sums, const uint32_t *level_sums, int64_t count);

/* The number of enabled rows (enabled all ones) whose value is zero. */
int64_t acim_count_zeros(const int32_t *values, const int32_t *enabled, int64_t count);
