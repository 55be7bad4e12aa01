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

@Suite struct ReadableQuantityTests {
    @Test func engineeringNotationWithThreeSignificantDigits() {
        #expect(Quantity<Energy>(67.028840903e-6).formatted() == "67.0 uJ")
        #expect(Quantity<Energy>(324.4e-6).formatted() == "324 uJ")
        #expect(Quantity<Energy>(4.0712e-3).formatted() == "4.07 mJ")
        #expect(Quantity<Energy>(7600.815e-12).formatted() == "7.60 nJ")
        #expect(Quantity<Energy>(-2.5e-12).formatted() == "-2.50 pJ")
        #expect(Quantity<Conductance>(25e-6).formatted() == "25.0 uS")
        #expect(Quantity<Frequency>(1.2e9).formatted() == "1.20 GHz")
        #expect(Quantity<Area>(2.5e-6).formatted() == "2.50 mm2")
        #expect(Quantity<Energy>(1e-6).formatted(significantDigits: 1) == "1 uJ")
        #expect(Quantity<Energy>(123_456e-9).formatted(significantDigits: 5) == "123.46 uJ")
    }

    @Test func roundingCarriesIntoTheNextPrefix() {
        #expect(Quantity<Energy>(999.96e-6).formatted() == "1.00 mJ")
        #expect(Quantity<Duration>(0.99996).formatted() == "1.00 s")
    }

    @Test func zeroAndUnprefixedUnits() {
        #expect(Quantity<Energy>(0).formatted() == "0 J")
        #expect(Quantity<Temperature>(298.15).formatted() == "298 K")
        #expect(Quantity<Bytes>(0).formatted() == "0 B")
        #expect(Quantity<Bytes>(1000).formatted() == "1000 B")
        #expect(Quantity<Bytes>(65_536).formatted() == "64 KiB")
        #expect(Quantity<Bytes>(1500).formatted() == "1.46 KiB")
    }

    @Test func durationsByName() {
        #expect(Quantity<Duration>(3600).formatted() == "1 h")
        #expect(Quantity<Duration>(86_400).formatted() == "1 d")
        #expect(Quantity<Duration>(604_800).formatted() == "1 week")
        #expect(Quantity<Duration>(1_209_600).formatted() == "2 weeks")
        #expect(Quantity<Duration>(2_592_000).formatted() == "30 d")
        #expect(Quantity<Duration>(31_536_000).formatted() == "1 year")
        #expect(Quantity<Duration>(120).formatted() == "2 min")
        #expect(Quantity<Duration>(1.2812).formatted() == "1.28 s")
        #expect(Quantity<Duration>(77.94).formatted() == "77.9 s")
        #expect(Quantity<Duration>(250e-9).formatted() == "250 ns")
        // From 1000 s on, fractions of the largest named unit that fits rather than kiloseconds.
        #expect(Quantity<Duration>(5000).formatted() == "1.39 h")
        #expect(Quantity<Duration>(1000).formatted() == "16.7 min")
    }
}
