#pragma once
/* Loops over a layer's input vectors before they reach the arrays: the im2col patches of a convolution,
   their quantization to integer codes, and the DAC passes of a batch of codes. Each is compiled for AVX-512,
   AVX2 and baseline x86-64, the widest the CPU runs chosen at load time, and gives the same values on each. */
#include <stdint.h>

/* The geometry of a convolution's input (NCHW) and of its patches. */
typedef struct {
    int64_t batch, channels, height, width;
    int64_t kernel_height, kernel_width, stride_y, stride_x, pad_top, pad_left, dilation_y, dilation_x;
    int64_t out_height, out_width;
} acim_conv_geometry;

/* The patches as rows, for the patch entries entry_start ..< entry_start + entry_count: row (n*Ho + oy)*Wo + ox
   of `cols` (rows x entry_count) holds, at column e - entry_start, entry e = (c*kh + ky)*kw + kx of its patch:
   the pixel the kernel entry (ky, kx) of channel c covers, or 0 where it falls in the padding. Rows first ..<
   first + count are written, every entry of them. The values are 4-byte words copied as they are: integer
   codes, or floats by their bits (the padding's 0 is +0.0). */
void acim_im2col(const int32_t *x, const acim_conv_geometry *g, int64_t first, int64_t count, int64_t entry_start,
                 int64_t entry_count, int32_t *cols);

/* codes[i] = round-half-even(clamp((double)values[i] / scale, low, high)) for codes of at most 16 bits;
   returns the number of NaN values (whose codes are meaningless). */
int64_t acim_quantize(const float *values, int64_t count, double scale, double low, double high, int32_t *codes);

/* The smallest and largest of `count` values (INT32_MAX and INT32_MIN for none). */
void acim_min_max(const int32_t *values, int64_t count, int32_t *low, int32_t *high);

/* One DAC pass of `rows` vectors of `columns` codes: values[b][i] = f(sign * source[b][order[i]]) + bias,
   f clamping at 0 when `clamps` (else the identity), order NULL for the identity. Wrapping arithmetic.
   Returns 1 when any value written is not zero, else 0. */
int32_t acim_pass_values(const int32_t *source, int64_t rows, int64_t columns, const int64_t *order, int32_t sign,
                         int32_t bias, int32_t clamps, int32_t *values);
