import Testing
@testable import ACIMCore

@Suite struct QuantityTests {
    @Test func parsesPrefixedUnits() throws {
        #expect(try Quantity<Conductance>(parsing: "25uS").value == 25e-6)
        #expect(abs(try Quantity<Duration>(parsing: "250ns").value - 250e-9) < 1e-20)
        #expect(abs(try Quantity<Energy>(parsing: "1.2pJ").value - 1.2e-12) < 1e-24)
        #expect(abs(try Quantity<Area>(parsing: "0.5mm2").value - 0.5e-6) < 1e-18)
        #expect(try Quantity<Frequency>(parsing: "1GHz").value == 1e9)
        #expect(try Quantity<Duration>(parsing: "1h").value == 3600)
        #expect(try Quantity<Duration>(parsing: "1y").value == 31_536_000)
        #expect(try Quantity<Duration>(parsing: "3d").value == 259_200)
        #expect(try Quantity<Temperature>(parsing: "25C").value == 298.15)
        #expect(try Quantity<Conductance>(parsing: "2e-5").value == 2e-5)
    }

    @Test func rejectsWrongUnits() {
        #expect(throws: ACIMError.self) { try Quantity<Conductance>(parsing: "25uJ") }
        #expect(throws: ACIMError.self) { try Quantity<Duration>(parsing: "fast") }
        #expect(throws: ACIMError.self) { try Quantity<Energy>(parsing: "") }
    }

    @Test func formatsRoundTrip() throws {
        for value in [25e-6, 1.2e-12, 3600.0, 0.0, 7.5e9] {
            let q = Quantity<Energy>(value)
            let back = try Quantity<Energy>(parsing: q.description)
            #expect(abs(back.value - value) <= abs(value) * 1e-12)
        }
        #expect(Quantity<Conductance>(25e-6).description == "25uS")
    }

    @Test func formatsWholeExtraUnits() throws {
        #expect(Quantity<Duration>(3600).description == "1h")
        #expect(Quantity<Duration>(604_800).description == "1w")
        #expect(Quantity<Duration>(90).description == "90s")
        #expect(Quantity<Duration>(1e-6).description == "1us")
        #expect(Quantity<Bytes>(65_536).description == "64KiB")
        #expect(Quantity<Bytes>(1000).description == "1000B")
        for value: Double in [3600, 5400, 259_200, 1_209_600] {
            #expect(try Quantity<Duration>(parsing: Quantity<Duration>(value).description).value == value)
        }
    }
}
