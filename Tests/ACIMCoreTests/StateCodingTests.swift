import Foundation
import Testing
@testable import ACIMCore

/// Saved state: every number back bit for bit, packed arrays, sets and dictionaries in a fixed order,
/// non-finite numbers and damaged files refused with a clear message.
@Suite struct StateCodingTests {
    struct Numbers: Codable, Equatable {
        var doubles: [Double]
        var floats: [Float]
        var halves: [Float16]
        @Packed var packedFloats: [Float]
        @Packed var packedHalves: [Float16]
        @Packed var packedDoubles: [Double]
        var matrix: Matrix<Float>
        var energy: Quantity<Energy>
        var temperature: Quantity<Temperature>
    }

    static let doubles: [Double] = [0, -0.0, .pi, 1.0 / 3, 0.1 + 0.2, .leastNonzeroMagnitude, .leastNormalMagnitude,
                                    .greatestFiniteMagnitude, -.ulpOfOne, 1e-300, 6.02214076e23]
    static let floats: [Float] = [0, -0.0, .pi, 1.0 / 3, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 2.5e-5]
    static let halves: [Float16] = [0, -0.0, .pi, .leastNonzeroMagnitude, .leastNormalMagnitude,
                                    .greatestFiniteMagnitude, 0.0457]

    @Test func everyNumberComesBackBitForBit() throws {
        let values = Numbers(doubles: Self.doubles, floats: Self.floats, halves: Self.halves,
                             packedFloats: Self.floats + [.nan, .infinity, Float(bitPattern: 0x7FC0_1234)],
                             packedHalves: Self.halves + [.nan, -.infinity],
                             packedDoubles: Self.doubles + [-.infinity, .signalingNaN],
                             matrix: Matrix(rows: 2, columns: 3, storage: [1, -0.0, .infinity, 2.5e-5, .nan, 7]),
                             energy: Quantity(1.0 / 3 * 1e-12), temperature: Quantity(25 + 273.15))
        let data = try StateCoding.encode(values)
        let back = try StateCoding.decode(Numbers.self, from: data, path: "numbers.json")
        #expect(back.doubles.map(\.bitPattern) == values.doubles.map(\.bitPattern))
        #expect(back.floats.map(\.bitPattern) == values.floats.map(\.bitPattern))
        #expect(back.halves.map(\.bitPattern) == values.halves.map(\.bitPattern))
        #expect(back.packedFloats.map(\.bitPattern) == values.packedFloats.map(\.bitPattern))
        #expect(back.packedHalves.map(\.bitPattern) == values.packedHalves.map(\.bitPattern))
        #expect(back.packedDoubles.map(\.bitPattern) == values.packedDoubles.map(\.bitPattern))
        #expect(back.matrix.rows == 2 && back.matrix.columns == 3)
        #expect(back.matrix.storage.map(\.bitPattern) == values.matrix.storage.map(\.bitPattern))
        #expect(back.energy.value.bitPattern == values.energy.value.bitPattern)
        #expect(back.temperature.value.bitPattern == values.temperature.value.bitPattern)
        #expect(try StateCoding.encode(back) == data)
        // A quantity whose text parses back exactly is still written as text.
        let text = try #require(String(data: StateCoding.encode([Quantity<Conductance>(25e-6)]), encoding: .utf8))
        #expect(text == "[\"25uS\"]")
    }

    @Test func aNonFiniteNumberCannotBeSaved() {
        #expect(throws: ACIMError.invalidParameter(name: "doubles.1", value: "nan", expected: "a finite number in saved state")) {
            try StateCoding.encode(["doubles": [1, Double.nan]])
        }
    }

    @Test func setsAndDictionariesAreSavedInOrder() throws {
        struct Kept: Codable, Equatable {
            @SortedOnEncode var indices: Set<Int>
            var byArray: [ArrayID: Int]
            var ledger: CostLedger
        }
        var ledger = CostLedger()
        for k in 0..<20 {
            ledger.add(Double(k) * 1e-12, to: .cellRead, at: .array(ArrayID(tile: k % 5, slot: k)))
            ledger.addBusy(k, at: .tile(k))
        }
        ledger.add(1e-9, to: .check, at: .layer("conv1"))
        let kept = Kept(indices: Set(0..<100), byArray: Dictionary(uniqueKeysWithValues: (0..<50).map {
            (ArrayID(tile: $0 / 4, slot: $0 % 4), $0)
        }), ledger: ledger)
        let data = try StateCoding.encode(kept)
        let back = try StateCoding.decode(Kept.self, from: data, path: "kept.json")
        #expect(back == kept)
        #expect(try StateCoding.encode(back) == data)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains("\"indices\":[0,1,2,3,"))
        #expect(text.contains("\"byArray\":{\"0.0\":0,\"0.1\":1,"))
    }

    @Test func damagedStateIsRefusedWithItsPlace() throws {
        let matrix = #"{"columns":2,"rows":2,"storage":"AAAAAA=="}"#
        #expect(throws: ACIMError.malformedFile(path: "m.json", reason: "not saved Matrix<Float> state: at storage: 1 elements for a 2x2 matrix")) {
            try StateCoding.decode(Matrix<Float>.self, from: Data(matrix.utf8), path: "m.json")
        }
        #expect(throws: ACIMError.self) {
            try StateCoding.decode(Matrix<Float>.self, from: Data("{\"rows\":".utf8), path: "m.json")
        }
        let odd = #"{"columns":1,"rows":1,"storage":"AAAA"}"#
        #expect(throws: ACIMError.malformedFile(path: "m.json", reason: "not saved Matrix<Double> state: at storage: 3 bytes are not a whole number of 8-byte Double values")) {
            try StateCoding.decode(Matrix<Double>.self, from: Data(odd.utf8), path: "m.json")
        }
    }
}
