import ACIMCore
import CKernels
import Testing
@testable import ACIMArray

/// A row whose column sums cannot reach the ADC's saturation is read out without the clamp
/// (`ADC.Scale.unclipped`), with the same codes and outputs as with it.
@Suite struct UnclippedReadoutTests {
    /// `unclipped` equals its definition: every sum in `0...largestSum` times the factor, in single precision,
    /// is at least the bottom code and below the top code plus one half. There, rounding without the clamp
    /// gives the ADC's own code for every sum. The full scales around the boundary give both outcomes, and
    /// a scale with no bound is never unclipped.
    @Test func unclippedEqualsItsDefinition() {
        var outcomes = Set<Bool>()
        for bits in [3, 8, 10] {
            for bipolar in [false, true] {
                let adc = ADC(bits: bits, bipolar: bipolar)
                for largest in [1, 7, 100, 768, 3000] {
                    // The full scale at which largest * factor is the top code plus one half, and scales just
                    // around it; the sums' own full scale; half and twice it.
                    let boundary = Double(largest) * Double(adc.topCode) / (Double(adc.topCode) + 0.5)
                    var fullScales = (-4...4).map { Float(boundary * (1 + Double($0) * 1e-7)) }
                    fullScales += [Float(largest), Float(largest) / 2, Float(2 * largest)]
                    for fullScale in fullScales {
                        let scale = ADC.Scale(adc, fullScale: fullScale, largestSum: largest)
                        let definition = (0...largest).allSatisfy {
                            let x = Float($0) * scale.factor
                            return x >= adc.bottomCode && x < adc.topCode + 0.5
                        }
                        #expect(scale.unclipped == definition, "\(bits) bits, largest \(largest), full scale \(fullScale)")
                        if scale.unclipped {
                            for sum in 0...largest {
                                #expect(ADC.roundHalfEven(Float(sum) * scale.factor)
                                        == adc.code(Float(sum), fullScale: fullScale))
                            }
                        }
                        outcomes.insert(scale.unclipped)
                    }
                }
            }
        }
        #expect(outcomes == [false, true])
        #expect(!ADC.Scale(ADC(bits: 8), fullScale: 768).unclipped)
    }

    /// Rows of sums in `0...largest` read out without the clamp equal the same rows with it, bit for bit,
    /// for codes combined as integers (steps of a unit or more) and for decoded sums (finer steps), with the
    /// columns no ADC reads masked, over sixteen-group blocks and the groups after them. A row marked
    /// unclipped whose sums do exceed the bound reads out differently: the mark does leave the clamp out.
    @Test(arguments: [(WeightEncoding.differential, 8), (.offset, 6), (.differential, 10)])
    func unclippedRowsReadOutAsClampedOnes(encoding: WeightEncoding, bits: Int) {
        let array = SlicedReadout(rows: 64, cols: 512, encoding: encoding, groups: 37)
        let (shiftAdd, groups, columns, offsetColumn) = (array.shiftAdd, array.groups, array.columns, array.offsetColumn)
        let adc = ADC(bits: bits)
        var rng = RandomStream(seed: UInt64(bits), purpose: .userInput)
        let read = (0..<columns).map { _ in Float(rng.next() % 9 == 0 ? 0 : 1) }
        // Full scales at the largest sums: steps coarser than a unit, one unit, finer ones.
        let top = Int(adc.topCode)
        let largests = [3 * top, top, 3 * top / 4, 4 * top + 3, 3 * top / 8]
        let fullScales = largests.map { Float($0) }
        var sums: [Float] = []
        for largest in largests {
            for _ in 0..<columns {
                sums.append(Float(rng.next() % 5 == 0 ? largest : Int(rng.next() % UInt64(largest + 1))))
            }
        }
        func readout(_ rows: [ShiftAdd.ReadoutRow]) -> [Double] {
            var output = [Double](repeating: 0.25, count: groups)
            read.withUnsafeBufferPointer { r in
                rows.withUnsafeBufferPointer { rows in
                    shiftAdd.readout(rows, read: r.baseAddress!, adc: adc, order: .slotMajor, groups: groups,
                                     offsetColumn: offsetColumn, driverRows: 64, zeroRows: 0, into: &output)
                }
            }
            return output
        }
        sums.withUnsafeBufferPointer { (s: UnsafeBufferPointer<Float>) in
            let scales = largests.indices.map { ADC.Scale(adc, fullScale: fullScales[$0], largestSum: largests[$0]) }
            #expect(scales.allSatisfy { $0.unclipped })
            #expect(scales.contains { $0.step < 1 } && scales.contains { $0.step >= 1 })
            func rows(unclipped: Bool) -> [ShiftAdd.ReadoutRow] {
                largests.indices.map {
                    ShiftAdd.ReadoutRow(sums: s.baseAddress! + $0 * columns, scale: scales[$0],
                                        weight: Double(1 << $0), unclipped: unclipped)
                }
            }
            #expect(rows(unclipped: true).allSatisfy { $0.unclipped == 1 })
            #expect(readout(rows(unclipped: true)) == readout(rows(unclipped: false)))

            // Sums up to twice the bound, marked unclipped all the same.
            let wrong = ADC.Scale(adc, fullScale: fullScales[0] / 2, largestSum: largests[0])
            #expect(!wrong.unclipped)
            let clamped = ShiftAdd.ReadoutRow(sums: s.baseAddress!, scale: wrong, weight: 1, unclipped: true)
            #expect(clamped.unclipped == 0)
            var marked = clamped
            marked.unclipped = 1
            #expect(readout([marked]) != readout([clamped]))
        }
    }

    /// A 256x256 array read at its full range converts every row without the clamp (noise-free integer
    /// levels, unsigned digits; a rescaled range has no scale for zero connected cells), and at a range
    /// calibrated well below it, where the bound allows sums that clip, every row with it; both agree with
    /// the ReferenceEngine bit for bit, gated and not.
    @Test(arguments: [false, true])
    func fullAndCalibratedRangesAgreeWithTheReference(gated: Bool) throws {
        var config = CrossbarConfig()
        config.array.rows = 256
        config.array.cols = 256
        config.array.bitsPerCell = 2
        config.array.weightBits = 8
        config.periphery.inputEncoding = .twoPass
        config.periphery.sparsity.enabled = gated
        config.periphery.sparsity.inputThreshold = .fixed(0.2)
        let layout = CrossbarLayout(config: config)
        var rng = RandomStream(seed: 9, purpose: .userInput)
        let weights = Matrix<Int32>(rows: 256, columns: layout.weightCapacity) { _, _ in Int32(rng.next() % 255) - 127 }
        let inputs = Matrix<Int32>(rows: 40, columns: 256) { _, _ in
            rng.next() % 4 == 0 ? 0 : Int32(rng.next() % 255) - 127
        }
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: weights, seed: 1)
        let context = ReadContext(seed: 2, firstVector: 0)
        for calibrated in [false, true] {
            if calibrated { try crossbar.calibrateADC(inputs: inputs, percentile: 50) }
            let (mapping, readout) = try crossbar.programmedState()
            let scales = crossbar.prepared(mapping: mapping, readout: readout).scales
            if IntegerGEMM.status.isOn {
                #expect(scales.count == (gated ? 257 : 1))
                #expect(scales.dropFirst(gated ? 1 : 0).allSatisfy { $0.unclipped != calibrated })
            }
            let fast = try FastEngine().run(crossbar, inputs: inputs, context: context)
            let reference = try ReferenceEngine().run(crossbar, inputs: inputs, context: context)
            #expect(fast.outputs == reference.outputs, "calibrated \(calibrated)")
            #expect(fast.cost.activity == reference.cost.activity)
        }
    }
}
