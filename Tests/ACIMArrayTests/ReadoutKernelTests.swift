import ACIMCore
import CKernels
import Testing
@testable import ACIMArray

/// The vectorized read-out loops equal their scalar definitions bit for bit: converting while accumulating
/// equals the ADC's per-column conversion followed by the shift-and-add, and the shift-and-add gives the
/// same outputs from slot-major column sums as from sums in array order.
@Suite struct ReadoutKernelTests {
    /// The read-out from raw sums (conversion and shift-and-add in one pass) equals its definition: a row
    /// whose step is finer than one unit (and every XNOR row) converts every column with `ADC.convert`,
    /// zeroing the columns no ADC reads, and accumulates the decoded sums; any other row adds, per weight
    /// group, its slice codes shifted and summed as an integer (less the offset column's), times its step and
    /// weight. For every encoding, both column orders, steps coarser and finer than one unit, saturating sums,
    /// unipolar and bipolar ADCs (clamped below at 0 or at minus the top code); several rows in one call, each
    /// with its own scale and weight, equal one row after the other.
    /// A 16-bit ADC reads 16-bit weights in one-bit cells, whose combined codes need more than 32 bits.
    @Test(arguments: [(WeightEncoding.differential, 3), (.differential, 8), (.offset, 6), (.offset, 10),
                      (.differential, 16), (.offset, 16)])
    func readoutEqualsItsDefinition(encoding: WeightEncoding, bits: Int) throws {
        for bipolar in [false, true] {
            let adc = ADC(bits: bits, bipolar: bipolar)
            for xnor in [false, true] {
                var config = CrossbarConfig()
                config.array.rows = 32
                config.array.cols = 256
                if xnor {
                    config.array.weightBits = 1
                    config.periphery.inputBits = 1
                    config.periphery.sparsity.mode = .xnor
                } else {
                    config.array.bitsPerCell = bits == 16 ? 1 : 2
                    config.array.weightBits = bits == 16 ? 16 : 8
                    config.array.weightEncoding = encoding
                }
                let layout = CrossbarLayout(config: config)
                let shiftAdd = ShiftAdd(config: config)
                if bits == 16 && !xnor && !bipolar {
                    #expect(!shiftAdd.combinedCodesFit32Bits(maxCode: Int(adc.topCode)))
                }
                let groups = xnor ? 77 : 23
                let columns = groups * layout.columnsPerWeight + layout.offsetColumns
                let offsetColumn = layout.offsetColumns > 0 ? groups * layout.columnsPerWeight : nil
                var rng = RandomStream(seed: UInt64(bits), purpose: .userInput)
                let sums = (0..<columns).map { _ in Float(Int(rng.next() % 1400) - (bipolar ? 700 : 100)) }
                let read = (0..<columns).map { _ in Float(rng.next() % 7 == 0 ? 0 : 1) }
                // Three rows of sums, each with its own scale and weight, as the phases of one vector.
                let rowSums = (0..<3).flatMap { r in sums.map { $0 * Float(r + 1) / 2 } }
                for order in [ColumnOrder.physical, .slotMajor] {
                    for fullScales: [Float] in [[37], [768], [1000.5], [37, 768, 1000.5], [768, 37, 768]] {
                        let weights = [-4.0, 2, 0.5]
                        var expected = [Double](repeating: 0.5, count: groups)
                        var fused = expected
                        for (r, fullScale) in fullScales.enumerated() {
                            let scale = ADC.Scale(adc, fullScale: fullScale)
                            if xnor || scale.step < 1 {
                                // Decoded sums, each a whole number of unit products when the step is finer.
                                let decoded = (0..<columns).map {
                                    read[$0] == 0 ? 0 : adc.convert(rowSums[r * columns + $0], fullScale: fullScale)
                                }
                                decoded.withUnsafeBufferPointer { d in
                                    shiftAdd.accumulate(d.baseAddress!, order: order, weight: weights[r], groups: groups,
                                                        offsetColumn: offsetColumn, driverRows: 32, zeroRows: 3,
                                                        into: &expected)
                                }
                                continue
                            }
                            // Codes: shifted and summed per weight group as integers, then scaled once.
                            let codes = (0..<columns).map {
                                read[$0] == 0 ? 0 : Int(adc.code(rowSums[r * columns + $0], fullScale: fullScale))
                            }
                            let width = layout.columnsPerWeight
                            func code(_ g: Int, _ slot: Int) -> Int { codes[order.position(of: g * width + slot, groups: groups, width: width)] }
                            for g in 0..<groups {
                                var combined = 0
                                for k in 0..<layout.slices {
                                    let slice = encoding == .differential ? code(g, 2 * k) - code(g, 2 * k + 1) : code(g, k)
                                    combined += slice << (k * config.array.bitsPerCell)
                                }
                                if let offsetColumn { combined -= codes[offsetColumn] << (config.array.weightBits - 1) }
                                expected[g] += weights[r] * scale.step * Double(combined)
                            }
                        }
                        rowSums.withUnsafeBufferPointer { s in
                            read.withUnsafeBufferPointer { r in
                                let rows = fullScales.indices.map {
                                    ShiftAdd.ReadoutRow(sums: s.baseAddress! + $0 * columns,
                                                        scale: ADC.Scale(adc, fullScale: fullScales[$0]),
                                                        weight: weights[$0])
                                }
                                rows.withUnsafeBufferPointer { rows in
                                    shiftAdd.readout(rows, read: r.baseAddress!, adc: adc, order: order, groups: groups,
                                                     offsetColumn: offsetColumn, driverRows: 32, zeroRows: 3,
                                                     into: &fused)
                                }
                            }
                        }
                        #expect(fused == expected,
                                "xnor \(xnor), \(order), full scales \(fullScales), bipolar \(bipolar)")
                    }
                }
            }
        }
    }

    /// Whether a step decodes in single precision (`ADC.Scale.decodesInFloat`, which lets the read-out add
    /// whole-unit decoded sums in 32-bit lanes) equals its definition: every code of the ADC rounds to the
    /// same whole unit from `code * Float(step)` in single precision as from `code * step` in double. A
    /// step just above one half decodes code 1 to 1 in double but to 0 in single precision.
    @Test func floatDecodeEqualsItsDefinition() {
        func definition(_ step: Double, _ adc: ADC) -> Bool {
            stride(from: adc.bottomCode, through: adc.topCode, by: 1).allSatisfy {
                Double(ADC.roundHalfEven($0 * Float(step))) == ADC.roundHalfEven(Double($0) * step)
            }
        }
        var outcomes = Set<Bool>()
        for bits in [3, 8, 10] {
            for bipolar in [false, true] {
                let adc = ADC(bits: bits, bipolar: bipolar)
                for fullScale in stride(from: Float(0.37), to: adc.topCode, by: 0.731) {
                    let scale = ADC.Scale(adc, fullScale: fullScale)
                    #expect(scale.decodesInFloat == (scale.step < 1 && definition(scale.step, adc)),
                            "\(bits) bits, full scale \(fullScale)")
                    outcomes.insert(scale.decodesInFloat)
                }
            }
        }
        #expect(outcomes == [false, true])
        let adc = ADC(bits: 8)
        #expect(!definition(0.5 + 0x1p-40, adc))
        #expect(acim_decodes_exactly_in_float(0.5 + 0x1p-40, adc.topCode, adc.bottomCode) == 0)
        #expect(acim_decodes_exactly_in_float(0.25, adc.topCode, adc.bottomCode) == 1)
        #expect(!ADC.Scale(ADC(bits: 12), fullScale: 100).decodesInFloat)
    }

    /// Combined codes at the edge of 32 bits: a bipolar 16-bit ADC saturating every G+ column high and every
    /// G- column low, 16-bit weights in one-bit cells, gives each group 2 x 32767 x (2^15 - 1) =
    /// 2147352578, one below which the 32-bit lanes still hold, in both column orders.
    @Test func combinedCodesAtTheEdgeOfThirtyTwoBits() throws {
        var config = CrossbarConfig()
        config.array.rows = 32
        config.array.cols = 256
        config.array.bitsPerCell = 1
        config.array.weightBits = 16
        let layout = CrossbarLayout(config: config)
        let shiftAdd = ShiftAdd(config: config)
        let adc = ADC(bits: 16, bipolar: true)
        #expect(shiftAdd.combinedCodesFit32Bits(maxCode: Int(adc.topCode)))
        let groups = 19
        let columns = groups * layout.columnsPerWeight
        let scale = ADC.Scale(adc, fullScale: 65534)
        #expect(scale.step == 2)
        for order in [ColumnOrder.physical, .slotMajor] {
            var sums = [Float](repeating: 0, count: columns)
            for c in 0..<columns {
                sums[order.position(of: c, groups: groups, width: layout.columnsPerWeight)] = c % 2 == 0 ? 1e9 : -1e9
            }
            var output = [Double](repeating: 0, count: groups)
            sums.withUnsafeBufferPointer { s in
                withUnsafePointer(to: ShiftAdd.ReadoutRow(sums: s.baseAddress!, scale: scale, weight: -8)) { row in
                    shiftAdd.readout(UnsafeBufferPointer(start: row, count: 1), read: nil, adc: adc, order: order,
                                     groups: groups, offsetColumn: nil, driverRows: 32, zeroRows: 0, into: &output)
                }
            }
            #expect(output == [Double](repeating: -8 * 2 * 2147352578, count: groups), "\(order)")
        }
    }

    @Test(arguments: WeightEncoding.allCases)
    func slotMajorShiftAddEqualsPhysical(encoding: WeightEncoding) throws {
        let readout = SlicedReadout(rows: 32, cols: 256, encoding: encoding, groups: 23)
        let (layout, shiftAdd, groups) = (readout.layout, readout.shiftAdd, readout.groups)
        let (columns, offsetColumn) = (readout.columns, readout.offsetColumn)
        let positions = (0..<columns).map { ColumnOrder.slotMajor.position(of: $0, groups: groups, width: layout.columnsPerWeight) }
        #expect(Set(positions) == Set(0..<columns))
        var rng = RandomStream(seed: 9, purpose: .userInput)
        // Sums that are not integers, so that any change of the order of operations would show.
        let physical = (0..<columns).map { _ in Double(rng.next() % 1000) * 3.0117647058823529 }
        var slotMajor = [Double](repeating: 0, count: columns)
        for c in 0..<columns { slotMajor[positions[c]] = physical[c] }
        var fromPhysical = [Double](repeating: 0.25, count: groups)
        var fromSlots = fromPhysical
        for (decoded, order) in [(physical, ColumnOrder.physical), (slotMajor, .slotMajor)] {
            decoded.withUnsafeBufferPointer { d in
                if order == .physical {
                    shiftAdd.accumulate(d.baseAddress!, weight: -4, groups: groups, offsetColumn: offsetColumn,
                                        driverRows: 32, zeroRows: 3, into: &fromPhysical)
                } else {
                    shiftAdd.accumulate(d.baseAddress!, order: .slotMajor, weight: -4, groups: groups,
                                        offsetColumn: offsetColumn, driverRows: 32, zeroRows: 3, into: &fromSlots)
                }
            }
        }
        #expect(fromSlots == fromPhysical)
        #expect(fromPhysical.allSatisfy { $0 != 0.25 })
    }

    /// All digit planes of a vector in one pass equal the digits, non-zero counts, zero count and charge taken row by row
    /// and phase by phase, for values that fit a byte and wider ones, with and without counting, for row
    /// counts that leave partial blocks, for disabled rows, for signed values in sign-magnitude form
    /// (digits of the magnitudes, a sign plane per phase), for pass values made from the inputs (negated,
    /// clamped at 0, biased), and for level sums whose charge fits 32-bit lanes and wider ones.
    @Test(arguments: [false, true])
    func digitPlanesEqualTheirDefinition(signed: Bool) {
        var rng = RandomStream(seed: signed ? 5 : 4, purpose: .userInput)
        for trial in 0..<200 {
            let count = Int(rng.next() % 300)
            let (phases, dacBits) = (1 + Int(rng.next() % 9), 1 + Int(rng.next() % 3))
            let maxDigit = Int32(1 << dacBits) - 1
            let top = trial % 4 == 0 ? UInt64(4000) : 256
            let inputs = (0..<count).map { _ in
                let value = rng.next() % 3 == 0 ? 0 : Int32(rng.next() % top)
                return (signed || trial % 3 == 1) && rng.next() % 2 == 0 ? -value : value
            }
            // Sign-magnitude inputs are taken as they are; two-pass and offset ones are made from the inputs.
            let sign: Int32 = signed || trial % 3 != 1 ? 1 : (trial % 2 == 0 ? 1 : -1)
            let clamps = !signed && trial % 3 == 1
            let bias: Int32 = !signed && trial % 3 == 2 ? Int32(rng.next() % 64) : 0
            let values: [Int32] = inputs.map { (input: Int32) -> Int32 in (clamps ? max(sign * input, 0) : sign * input) + bias }
            let enabled = (0..<count).map { _ in UInt8(rng.next() % 10 == 0 ? 0 : 0xff) }
            let levelSums = (0..<count).map { _ in
                trial % 2 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : UInt32(rng.next() % 4000)
            }
            let stride = count + 3
            var expectedDigits = [UInt8](repeating: 0, count: phases * stride)
            var expectedNegative = [UInt8](repeating: 0, count: phases * stride)
            var expectedNonZero = [Int32](repeating: 0, count: phases)
            var expectedCharge = 0
            let expectedZeros = (0..<count).filter { values[$0] == 0 && enabled[$0] != 0 }.count
            for i in 0..<count {
                var digitSum = 0
                for p in 0..<phases {
                    let digit = enabled[i] == 0 ? 0 : (abs(values[i]) >> Int32(p * dacBits)) & maxDigit
                    expectedDigits[p * stride + i] = UInt8(digit)
                    if signed && values[i] < 0 { expectedNegative[p * stride + i] = 1 }
                    digitSum += Int(digit)
                    expectedNonZero[p] += digit != 0 ? 1 : 0
                }
                expectedCharge += digitSum * Int(levelSums[i])
            }
            for counts in [true, false] {
                var digits = [UInt8](repeating: 0, count: phases * stride)
                var negative = [UInt8](repeating: 0, count: phases * stride)
                var nonZero = [Int32](repeating: -7, count: phases)
                var zeros: Int64 = -7
                let charge = digits.withUnsafeMutableBufferPointer { d in
                    negative.withUnsafeMutableBufferPointer { s in
                        nonZero.withUnsafeMutableBufferPointer { n in
                            withUnsafeMutablePointer(to: &zeros) { z in
                                acim_digit_planes(inputs, sign, clamps ? 1 : 0, bias, enabled, Int64(count), Int32(phases),
                                                  Int32(dacBits), maxDigit, levelSums, levelSums.max() ?? 0,
                                                  d.baseAddress!, signed ? s.baseAddress! : nil, Int64(stride),
                                                  counts ? n.baseAddress! : nil, counts ? z : nil)
                            }
                        }
                    }
                }
                #expect(zeros == (counts ? Int64(expectedZeros) : -7), "trial \(trial)")
                #expect(charge == Int64(expectedCharge), "trial \(trial)")
                #expect(digits == expectedDigits, "trial \(trial)")
                #expect(negative == expectedNegative, "trial \(trial)")
                #expect(nonZero == (counts ? expectedNonZero : [Int32](repeating: -7, count: phases)), "trial \(trial)")
            }
        }
    }

    /// The non-zero and zero counts stay exact past 255 blocks of 64 rows, where the kernel sums its per-byte
    /// counters.
    @Test func digitPlaneCountsHoldOverManyBlocks() {
        let count = 64 * 300 + 5
        let inputs: [Int32] = (0..<count).map { i in i % 7 == 0 ? 0 : Int32(1 + i % 5) }
        let enabled = [UInt8](repeating: 0xff, count: count)
        let levelSums = [UInt32](repeating: 3, count: count)
        var digits = [UInt8](repeating: 0, count: 3 * count)
        var nonZero = [Int32](repeating: 0, count: 3)
        var zeros: Int64 = 0
        let charge = acim_digit_planes(inputs, 1, 0, 0, enabled, Int64(count), 3, 1, 1, levelSums, 3, &digits, nil,
                                       Int64(count), &nonZero, &zeros)
        #expect(zeros == Int64(inputs.count { $0 == 0 }))
        let expectedNonZero: [Int32] = (0..<3).map { (p: Int32) -> Int32 in Int32(inputs.count { ($0 >> p) & 1 != 0 }) }
        let ones = inputs.reduce(0) { (sum: Int, input: Int32) in sum + input.nonzeroBitCount }
        #expect(nonZero == expectedNonZero)
        #expect(charge == 3 * Int64(ones))
    }
}
