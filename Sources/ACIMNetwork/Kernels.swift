import ACIMCore
import CKernels

/// The layer kernels of the digital reference executor, on flat NCHW buffers. Convolutions are im2col + sgemm.
enum Kernels {
    /// Runs `body` with OpenBLAS on one thread: threaded sgemm partitions differ with the thread count and
    /// change the last bits of results, so the executor keeps results independent of it.
    static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        try BLAS.singleThreaded(body)
    }

    struct ConvGeometry {
        let batch, channels, height, width: Int
        let kernelHeight, kernelWidth, strideY, strideX, padTop, padLeft, dilationY, dilationX: Int
        let outHeight, outWidth: Int
        var patch: Int { channels * kernelHeight * kernelWidth }
        var rows: Int { batch * outHeight * outWidth }
    }

    /// Calls `body(entry, pixel)` for every patch entry inside the image, in im2col order: patch entry
    /// `row * patch + (c*kh + ky)*kw + kx` of row `(n*Ho + oy)*Wo + ox`, and the NCHW index of its pixel.
    @inline(__always)
    static func forEachPatchEntry(_ g: ConvGeometry, _ body: (Int, Int) -> Void) {
        let (kh, kw, dx) = (g.kernelHeight, g.kernelWidth, g.dilationX)
        var row = 0
        for n in 0..<g.batch {
            for oy in 0..<g.outHeight {
                for ox in 0..<g.outWidth {
                    // The kernel columns inside the image are the same for every channel and kernel row.
                    let x0 = ox * g.strideX - g.padLeft
                    let first = min(kw, x0 >= 0 ? 0 : (-x0 + dx - 1) / dx)
                    let end = x0 >= g.width ? 0 : min(kw, (g.width - 1 - x0) / dx + 1)
                    let kxRange = first..<max(first, end)
                    for c in 0..<g.channels {
                        let plane = (n * g.channels + c) * g.height * g.width
                        for ky in 0..<kh {
                            let y = oy * g.strideY - g.padTop + ky * g.dilationY
                            guard y >= 0, y < g.height else { continue }
                            let col = row * g.patch + (c * kh + ky) * kw, pixel = plane + y * g.width + x0
                            for kx in kxRange { body(col + kx, pixel + kx * dx) }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Patches as rows: row `(n*Ho + oy)*Wo + ox`, column `(c*kh + ky)*kw + kx`.
    static func im2col(_ x: [Float], _ g: ConvGeometry) -> [Float] {
        let geometry = acim_conv_geometry(
            batch: Int64(g.batch), channels: Int64(g.channels), height: Int64(g.height), width: Int64(g.width),
            kernel_height: Int64(g.kernelHeight), kernel_width: Int64(g.kernelWidth), stride_y: Int64(g.strideY),
            stride_x: Int64(g.strideX), pad_top: Int64(g.padTop), pad_left: Int64(g.padLeft),
            dilation_y: Int64(g.dilationY), dilation_x: Int64(g.dilationX), out_height: Int64(g.outHeight),
            out_width: Int64(g.outWidth))
        // The kernel writes every entry, the padding's zeros too, in blocks of rows on the engines' threads.
        return [Float](unsafeUninitializedCapacity: g.rows * g.patch) { cols, count in
            x.withUnsafeBufferPointer { x in
                withUnsafePointer(to: geometry) { geometry in
                    let (input, shape, output) = (Unchecked(value: x.baseAddress!), Unchecked(value: geometry),
                                                  Unchecked(value: cols.baseAddress!))
                    Parallel.forEachRange(g.rows, threads: BLAS.threadCount, minimum: max(1, 65536 / max(1, g.patch))) { _, rows in
                        acim_im2col(input.value, shape.value, Int64(rows.lowerBound), Int64(rows.count), output.value)
                    }
                }
            }
            count = g.rows * g.patch
        }
    }

    /// The adjoint of `im2col`: adds every patch entry back to its pixel.
    static func col2im(_ cols: [Float], _ g: ConvGeometry) -> [Float] {
        var x = [Float](repeating: 0, count: g.batch * g.channels * g.height * g.width)
        cols.withUnsafeBufferPointer { cp in
            x.withUnsafeMutableBufferPointer { xp in
                forEachPatchEntry(g) { col, pixel in xp[pixel] += cp[col] }
            }
        }
        return x
    }

    /// `C[m, n] = A[m, k] * op(B)`, with B stored `[n, k]` when `transposeB`, else `[k, n]`.
    static func gemm(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                     transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                               a: pa.baseAddress!, lda: transposeA ? m : k,
                               b: pb.baseAddress!, ldb: transposeB ? k : n,
                               c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// `[N, S, C]` (rows of channels) to `[N, C, S]`, or back with `inverse`.
    static func permute(_ x: [Float], batch: Int, spatial: Int, channels: Int, inverse: Bool = false) -> [Float] {
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for n in 0..<batch {
                    for s in 0..<spatial {
                        for c in 0..<channels {
                            let rows = (n * spatial + s) * channels + c, planes = (n * channels + c) * spatial + s
                            if inverse { yp[rows] = xp[planes] } else { yp[planes] = xp[rows] }
                        }
                    }
                }
            }
        }
        return y
    }

    /// Multiplies every channel `c` of an `[N, C, S]` buffer by `gain[c]`.
    static func scaleChannels(_ x: [Float], _ gain: [Float], batch: Int, spatial: Int) -> [Float] {
        var y = x
        let channels = gain.count
        y.withUnsafeMutableBufferPointer { yp in
            for n in 0..<batch {
                for c in 0..<channels {
                    let g = gain[c], base = (n * channels + c) * spatial
                    for s in 0..<spatial { yp[base + s] *= g }
                }
            }
        }
        return y
    }

    /// Per-channel sums of `a` (and of `a*b` when given) over batch and space.
    static func channelSums(_ a: [Float], times b: [Float]? = nil, batch: Int, channels: Int, spatial: Int) -> [Float] {
        var sums = [Float](repeating: 0, count: channels)
        for n in 0..<batch {
            for c in 0..<channels {
                let base = (n * channels + c) * spatial
                var s: Float = 0
                if let b { for i in 0..<spatial { s += a[base + i] * b[base + i] } } else { for i in 0..<spatial { s += a[base + i] } }
                sums[c] += s
            }
        }
        return sums
    }
}
