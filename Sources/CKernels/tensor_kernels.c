#include "tensor_kernels.h"

#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define WIDEST __attribute__((target_clones("avx512bw", "avx2", "default")))
#else
#define WIDEST
#endif

/* n 4-byte values (floats or codes) from src to dst, inline for the widths of common kernels: a call to
   memcpy per kernel row costs more than the copy. */
static inline __attribute__((always_inline)) void copy_kernel_row(void *dst, const void *src, int64_t n) {
    switch (n) {
    case 1: memcpy(dst, src, 4); return;
    case 2: memcpy(dst, src, 8); return;
    case 3: memcpy(dst, src, 12); return;
    default: memcpy(dst, src, (size_t)n * 4);
    }
}

WIDEST
void acim_im2col(const int32_t *x, const acim_conv_geometry *g, int64_t first, int64_t count, int64_t entry_start,
                 int64_t entry_count, int32_t *cols) {
    const int64_t kh = g->kernel_height, kw = g->kernel_width, dx = g->dilation_x, sx = g->stride_x;
    const int64_t wo = g->out_width, ho = g->out_height, width = g->width;
    const int64_t entry_end = entry_start + entry_count;
    if (entry_count <= 0 || count <= 0) return;
    const int64_t first_channel = entry_start / (kh * kw), last_channel = (entry_end - 1) / (kh * kw);
    /* The output columns whose kernel rows lie inside the image: x0 = ox * sx - pad_left >= 0 and
       x0 + kw <= width (dilation 1). */
    const int64_t interior_begin = (g->pad_left + sx - 1) / sx;
    const int64_t interior_end = width - kw + g->pad_left >= 0 ? (width - kw + g->pad_left) / sx + 1 : 0;
    /* One output image row (n, oy) at a time, the part of it in first ..< first + count: every kernel row
       (c, ky) is placed for each pixel ox of it in turn, so that the source row and its bounds are worked out
       once per image row rather than once per patch. */
    for (int64_t row = first; row < first + count;) {
        const int64_t image_row = row / wo, n = image_row / ho, oy = image_row % ho;
        const int64_t ox_begin = row % wo;
        const int64_t ox_end = first + count - image_row * wo < wo ? first + count - image_row * wo : wo;
        int32_t *base = cols + image_row * wo * entry_count; /* patch row image_row * wo + ox at ox * entry_count */
        for (int64_t c = first_channel; c <= last_channel; c++) {
            const int32_t *plane = x + (n * g->channels + c) * g->height * width;
            for (int64_t ky = 0; ky < kh; ky++) {
                const int64_t e0 = (c * kh + ky) * kw;
                if (e0 + kw <= entry_start || e0 >= entry_end) continue;
                const int64_t y = oy * g->stride_y - g->pad_top + ky * g->dilation_y;
                const int inside = y >= 0 && y < g->height;
                const int whole = e0 >= entry_start && e0 + kw <= entry_end;
                const int32_t *pixels = plane + (inside ? y : 0) * width;
                for (int64_t ox = ox_begin; ox < ox_end; ox++) {
                    const int64_t x0 = ox * sx - g->pad_left, at = ox * entry_count - entry_start;
                    if (whole && inside && dx == 1 && ox >= interior_begin && ox < interior_end) {
                        /* The pixels inside the image, up to the first whose kernel row reaches past it. */
                        const int64_t last = ox_end < interior_end ? ox_end : interior_end;
                        int32_t *entry = base + at + e0;
                        const int32_t *source = pixels + x0;
                        /* The common 3x3 kernel with its width known to the compiler. */
                        if (kw == 3) {
                            for (; ox < last; ox++, entry += entry_count, source += sx) copy_kernel_row(entry, source, 3);
                        } else {
                            for (; ox < last; ox++, entry += entry_count, source += sx) copy_kernel_row(entry, source, kw);
                        }
                        ox -= 1;
                        continue;
                    }
                    for (int64_t kx = 0; kx < kw; kx++) {
                        const int64_t e = e0 + kx, px = x0 + kx * dx;
                        if (e < entry_start || e >= entry_end) continue;
                        base[at + e] = inside && px >= 0 && px < width ? pixels[px] : 0;
                    }
                }
            }
        }
        row = image_row * wo + ox_end;
    }
}

WIDEST
int64_t acim_quantize(const float *values, int64_t count, double scale, double low, double high, int32_t *codes) {
    /* Adding 1.5 x 2^52 to a value below 2^51 in magnitude leaves it rounded half to even in the low bits of
       the significand (two's complement). */
    const double bias = 0x1.8p52;
    int64_t nan = 0;
    for (int64_t i = 0; i < count; i++) {
        double x = (double)values[i];
        nan += x != x;
        x = x / scale;
        x = x < low ? low : x;
        x = x > high ? high : x;
        const double biased = x + bias;
        int64_t bits;
        memcpy(&bits, &biased, sizeof bits);
        codes[i] = (int32_t)bits;
    }
    return nan;
}

WIDEST
void acim_min_max(const int32_t *values, int64_t count, int32_t *low, int32_t *high) {
    int32_t smallest = INT32_MAX, largest = INT32_MIN;
    for (int64_t i = 0; i < count; i++) {
        smallest = values[i] < smallest ? values[i] : smallest;
        largest = values[i] > largest ? values[i] : largest;
    }
    *low = smallest;
    *high = largest;
}

WIDEST
int32_t acim_pass_values(const int32_t *source, int64_t rows, int64_t columns, const int64_t *order, int32_t sign,
                         int32_t bias, int32_t clamps, int32_t *values) {
    uint32_t any = 0;
    for (int64_t b = 0; b < rows; b++) {
        const int32_t *in = source + b * columns;
        int32_t *out = values + b * columns;
        if (order) {
            for (int64_t i = 0; i < columns; i++) {
                const int32_t x = (int32_t)((uint32_t)sign * (uint32_t)in[order[i]]);
                out[i] = (int32_t)((uint32_t)(clamps && x < 0 ? 0 : x) + (uint32_t)bias);
                any |= (uint32_t)out[i];
            }
        } else if (clamps) {
            for (int64_t i = 0; i < columns; i++) {
                const int32_t x = (int32_t)((uint32_t)sign * (uint32_t)in[i]);
                out[i] = (int32_t)((uint32_t)(x < 0 ? 0 : x) + (uint32_t)bias);
                any |= (uint32_t)out[i];
            }
        } else {
            for (int64_t i = 0; i < columns; i++) {
                out[i] = (int32_t)((uint32_t)sign * (uint32_t)in[i] + (uint32_t)bias);
                any |= (uint32_t)out[i];
            }
        }
    }
    return any != 0;
}
