import ACIMCore
import CKernels
import Testing
@testable import ACIMNetwork

/// The patch codes a chip's arrays read, expanded from a layer's codes (`ConvolutionGeometry.patchCodes`).
@Suite struct PatchCodeTests {
    /// Every patch entry of `codes` taken one by one from its definition (`Kernels.forEachPatchEntry`), 0 in
    /// the padding: `rows x patch`.
    static func definition(_ codes: [Int32], _ g: ConvolutionGeometry) -> [Int32] {
        var patches = [Int32](repeating: 0, count: g.rows * g.patch)
        Kernels.forEachPatchEntry(g) { entry, pixel in patches[entry] = codes[pixel] }
        return patches
    }

    /// For random geometries (kernels, strides, padding, dilation, batches) and windows of patch entries
    /// (whole patches, kernel rows cut at either edge, single entries), the expanded codes equal the patch
    /// entries taken one by one, and the float patches of the values equal them too, bit for bit: the codes of
    /// the float patches equal the expanded codes of the input's codes, since quantization commutes with the
    /// copying of im2col and the padding's zeros have code 0.
    @Test func patchCodesEqualTheirDefinition() throws {
        var rng = RandomStream(seed: 41, purpose: .userInput)
        func uniform(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(rng.next() % UInt64(range.count)) }
        let quantizer = try Quantizer(bits: 8, signed: true, maxAbs: 1)
        for trial in 0..<150 {
            let (kh, kw) = (uniform(1...4), uniform(1...4))
            let (sy, sx, dy, dx) = (uniform(1...3), uniform(1...3), uniform(1...2), uniform(1...2))
            let (padTop, padLeft) = (uniform(0...2), uniform(0...2))
            let (batch, channels) = (uniform(1...3), uniform(1...5))
            let (height, width) = (uniform((dy * (kh - 1) + 1)...9), uniform((dx * (kw - 1) + 1)...9))
            let outHeight = (height + 2 * padTop - dy * (kh - 1) - 1) / sy + 1
            let outWidth = (width + 2 * padLeft - dx * (kw - 1) - 1) / sx + 1
            let g = ConvolutionGeometry(batch: batch, channels: channels, height: height, width: width,
                                        kernelHeight: kh, kernelWidth: kw, strideY: sy, strideX: sx, padTop: padTop,
                                        padLeft: padLeft, dilationY: dy, dilationX: dx, outHeight: outHeight,
                                        outWidth: outWidth)
            let input = (0..<(batch * channels * height * width)).map { _ in Float(rng.nextUniform() * 2 - 1) }
            let codes = quantizer.codes(input)
            let patches = Self.definition(codes, g)
            #expect(Kernels.im2col(input, g).map(\.bitPattern) == Self.definition(input.map { Int32(bitPattern: $0.bitPattern) }, g)
                .map { UInt32(bitPattern: $0) }, "trial \(trial): \(g)")
            #expect(quantizer.codes(Kernels.im2col(input, g)) == patches, "trial \(trial)")
            let start = uniform(0...(g.patch - 1))
            let end = trial % 3 == 0 ? g.patch : uniform((start + 1)...g.patch)
            let expanded = g.patchCodes(codes, entries: start..<end)
            #expect(expanded.rows == g.rows && expanded.columns == end - start)
            let expected = (0..<g.rows).flatMap { r in patches[(r * g.patch + start)..<(r * g.patch + end)] }
            #expect(expanded.storage == expected, "trial \(trial): \(g), entries \(start)..<\(end)")
        }
    }

    /// Blocks of rows that begin and end inside an image row (as the engines' threads split them) give the
    /// patch entries of their definition, for splits of a batch of 31 x 29 patches into two.
    @Test func blocksOfRowsSplitInsideImageRows() {
        let g = ConvolutionGeometry(batch: 2, channels: 3, height: 31, width: 31, kernelHeight: 3, kernelWidth: 3,
                                    strideY: 1, strideX: 1, padTop: 1, padLeft: 0, dilationY: 1, dilationX: 1,
                                    outHeight: 31, outWidth: 29)
        var rng = RandomStream(seed: 43, purpose: .userInput)
        let codes = (0..<(2 * 3 * 31 * 31)).map { _ in Int32(rng.next() % 255) - 127 }
        let (entries, width) = (4..<25, 21)
        let patches = Self.definition(codes, g)
        let whole = (0..<g.rows).flatMap { r in patches[(r * g.patch + entries.lowerBound)..<(r * g.patch + entries.upperBound)] }
        var geometry = g.kernelGeometry
        for split in [1, 28, 29, 30, 450, 899, 900, g.rows - 1] {
            var blocks = [Int32](repeating: -1, count: g.rows * width)
            for rows in [0..<split, split..<g.rows] {
                acim_im2col(codes, &geometry, Int64(rows.lowerBound), Int64(rows.count), Int64(entries.lowerBound),
                            Int64(width), &blocks)
            }
            #expect(blocks == whole, "split at row \(split)")
        }
    }
}
