import ACIMCore
import CKernels

/// The layer kernels of the digital reference executor, on flat NCHW buffers. Convolutions are im2col + sgemm.
enum Kernels {
    /// Runs `body` with OpenBLAS on one thread: threaded sgemm partitions differ with the thread count and
    /// change the last bits of results, so the executor keeps results independent of it.
    static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        try BLAS.singleThreaded(body)
    }

    /// Calls `body(entry, pixel)` for every patch entry inside the image, in im2col order: patch entry
    /// `row * patch + (c*kh + ky)*kw + kx` of row `(n*Ho + oy)*Wo + ox`, and the NCHW index of its pixel.
    @inline(__always)
    static func forEachPatchEntry(_ g: ConvolutionGeometry, _ body: (Int, Int) -> Void) {
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
    static func im2col(_ x: [Float], _ g: ConvolutionGeometry) -> [Float] { g.patches(x) }

    /// The adjoint of `im2col`: adds every patch entry back to its pixel.
    static func col2im(_ cols: [Float], _ g: ConvolutionGeometry) -> [Float] {
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

    /// `[N, S, C]` (rows of channels) to `[N, C, S]`, or back with `inverse`; `bias[c]`, when given, added to
    /// every value of channel `c` as it moves (`[N, S, C]` to `[N, C, S]` only).
    static func permute(_ x: [Float], batch: Int, spatial: Int, channels: Int, inverse: Bool = false,
                        bias: [Float]? = nil) -> [Float] {
        precondition(bias == nil || (!inverse && bias!.count == channels), "permute: a bias per channel, rows to planes")
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                // Plane by plane: the writes (or, inverse, the reads) of a plane are consecutive.
                for n in 0..<batch {
                    for c in 0..<channels {
                        let (rows, planes) = (n * spatial * channels + c, (n * channels + c) * spatial)
                        if inverse {
                            for s in 0..<spatial { yp[rows + s * channels] = xp[planes + s] }
                        } else if let bias {
                            let b = bias[c]
                            for s in 0..<spatial { yp[planes + s] = xp[rows + s * channels] + b }
                        } else {
                            for s in 0..<spatial { yp[planes + s] = xp[rows + s * channels] }
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
