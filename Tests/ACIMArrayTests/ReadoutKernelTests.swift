import ACIMCore
import Testing
@testable import ACIMArray

/// The vectorized read-out loops equal their scalar definitions bit for bit: a row conversion equals the
/// ADC's per-column conversion, and the shift-and-add gives the same outputs from slot-major column sums as
/// from sums in array order.
@Suite struct ReadoutKernelTests {
    @Test(arguments: [3, 6, 8, 10])
    func rowConversionEqualsPerColumnConversion(bits: Int) {
        let adc = ADC(bits: bits)
        var rng = RandomStream(seed: UInt64(bits), purpose: .userInput)
        let sums = (0..<517).map { _ in Float(Int(rng.next() % 1400) - 100) + (rng.next() % 3 == 0 ? 0.37 : 0) }
        for fullScale: Float in [37, 255, 768, 1000.5, 4096] {
            var decoded = [Double](repeating: .nan, count: sums.count)
            sums.withUnsafeBufferPointer { s in
                decoded.withUnsafeMutableBufferPointer { adc.convertRow(s.baseAddress!, count: sums.count, scale: ADC.Scale(adc, fullScale: fullScale), into: $0.baseAddress!) }
            }
            #expect(decoded == sums.map { adc.convert($0, fullScale: fullScale) })
        }
    }

    @Test(arguments: WeightEncoding.allCases)
    func slotMajorShiftAddEqualsPhysical(encoding: WeightEncoding) throws {
        var config = CrossbarConfig()
        config.array.rows = 32
        config.array.cols = 256
        config.array.bitsPerCell = 2
        config.array.weightBits = 8
        config.array.weightEncoding = encoding
        let layout = CrossbarLayout(config: config)
        let shiftAdd = ShiftAdd(config: config)
        let groups = 23
        let columns = groups * layout.columnsPerWeight + layout.offsetColumns
        let offsetColumn = layout.offsetColumns > 0 ? groups * layout.columnsPerWeight : nil
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
}
