#pragma once
/* The per-column loops of an MVM's read-out: ADC conversion of a row of column sums and the shift-and-add
   of the decoded sums into weight-group outputs, and the digit planes of the inputs. Plain IEEE arithmetic in a fixed order (no fused
   multiply-add), so every build and every instruction set gives the same bits; each function is compiled
   for AVX-512, AVX2 and baseline x86-64, the widest the CPU runs chosen at load time. */
#include <stdint.h>

/* One row of raw column sums and the ADC conversion that shares its full scale: the code of a sum is
   round-half-even(clamp(sum * factor, bottom, top)), zero where read[i] is 0 (a column no ADC reads; read
   NULL for none), and it decodes to code * step, rounded half-even to an integer when round_decoded. bottom
   is 0 for a unipolar ADC and -top for a bipolar one (signed column sums). The row's shift-and-add weight
   is `weight`. */
typedef struct {
    const float *sums;
    const float *read;
    float factor;
    float top;
    float bottom;
    double step;
    int32_t round_decoded;
    double weight;
} acim_adc_row;

/* The shift-and-add of one phase: the decoded sum of slot j (slice column) of weight group g is at position
   g*group_stride + j*slot_stride, either given (acim_shift_add_*: decoded) or converted on the fly from
   rows of raw sums (acim_readout_*: `count` rows, which share one read mask or none, each added with its own
   weight in row order, exactly as one call per row would), with the same operations in the same order.
   differential: output[g] += weight * sum_k slice_weights[k] * (slot 2k - slot 2k+1), in slice order;
   offset:       output[g] += weight * (sum_k slice_weights[k] * slot k - offset), in slice order, where the
                 readout takes offset = offset_scale * the row's decoded sum at offset_position;
   xnor:         output[g] += weight * (2 * slot 0 + offset). */
void acim_shift_add_differential(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                                 const double *slice_weights, int64_t slices, double weight, double *output);
void acim_shift_add_offset(const double *decoded, int64_t groups, int64_t group_stride, int64_t slot_stride,
                           const double *slice_weights, int64_t slices, double offset, double weight, double *output);
void acim_shift_add_xnor(const double *decoded, int64_t groups, int64_t group_stride, double offset, double weight,
                         double *output);
void acim_readout_differential(const acim_adc_row *rows, int64_t count, int64_t groups, int64_t group_stride,
                               int64_t slot_stride, const double *slice_weights, int64_t slices, double *output);
void acim_readout_offset(const acim_adc_row *rows, int64_t count, int64_t groups, int64_t group_stride,
                         int64_t slot_stride, const double *slice_weights, int64_t slices, int64_t offset_position,
                         double offset_scale, double *output);
void acim_readout_xnor(const acim_adc_row *rows, int64_t count, int64_t groups, int64_t group_stride, double offset,
                       double *output);

/* The digit planes of one input vector, every bit-serial phase in one pass over it: row p of digits (at
   digits + p * stride) gets ((m >> (p * digit_bits)) & max_digit) & enabled[i] (enabled is all ones or all
   zeros per row), where m is values[i], or |values[i]| for signed inputs in sign-magnitude form (negative
   not NULL: row p of negative, at the same offsets, gets 1 where values[i] < 0, else 0); non_zero[p] gets
   its number of non-zero digits (non_zero NULL: not counted). Digit sums and level sums must be below 2^32
   each. Returns the vector's unit bit-line charge, the sum over rows of (the row's digits summed over the
   phases) * level_sums[i], in 64-bit integers. */
int64_t acim_digit_planes(const int32_t *values, const int32_t *enabled, int64_t count, int32_t phases,
                          int32_t digit_bits, int32_t max_digit, const uint32_t *level_sums, uint8_t *digits,
                          uint8_t *negative, int64_t stride, int32_t *non_zero);

/* The number of enabled rows (enabled all ones) whose value is zero. */
int64_t acim_count_zeros(const int32_t *values, const int32_t *enabled, int64_t count);
