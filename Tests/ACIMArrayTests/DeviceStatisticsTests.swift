import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// Sampled distributions against the moments the formulas fix, within about 4 standard errors.
@Suite struct DeviceStatisticsTests {
    static let n = 20_000
    let root = Double(DeviceStatisticsTests.n).squareRoot()

    struct Moments {
        let mean: Double
        let std: Double
        init(_ values: [Double]) {
            let mean = values.reduce(0, +) / Double(values.count)
            self.mean = mean
            std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
    }

    /// Programmed conductances, drift exponents and reads at `elapsed` of `n` devices with target `g`.
    func sample(_ model: DeviceModel, target g: Double, elapsed: Double = 0, seed: UInt64 = 11)
        -> (programmed: [Double], nu: [Double], read: [Double]) {
        let programming = RandomStream(seed: seed, array: testArray, purpose: .programmingNoise, event: 0)
        let drift = RandomStream(seed: seed, array: testArray, purpose: .driftExponent, event: 0)
        let noise = RandomStream(seed: seed, array: testArray, purpose: .deviceNoise, event: 0)
        let programmed = (0..<Self.n).map { model.programmed(target: g, z: programming.gaussian(at: UInt64($0))) }
        let nu = (0..<Self.n).map { model.driftExponent(target: g, z: drift.gaussian(at: UInt64($0))) }
        let read = (0..<Self.n).map { i in
            model.conductance(programmed: programmed[i], nu: nu[i], elapsed: elapsed,
                              z1: noise.gaussian(at: 2 * UInt64(i)), z2: noise.gaussian(at: 2 * UInt64(i) + 1))
        }
        return (programmed, nu, read)
    }

    func model(_ kind: DeviceModelKind) -> DeviceModel { DeviceModel(config: DeviceArray.device(kind)) }

    @Test(arguments: [DeviceModelKind.pcm, .hermesPCM], [5e-6, 20e-6])
    func programmingNoiseAndDriftExponentMatchTheFit(kind: DeviceModelKind, target: Double) {
        let model = model(kind)
        let s = sample(model, target: target)
        let programmed = Moments(s.programmed)
        let sigma = model.programmingSigma(target: target)
        #expect(abs(programmed.mean - target) < 4 * sigma / root)
        #expect(abs(programmed.std / sigma - 1) < 4 / (2 * Double(Self.n)).squareRoot())
        let nu = Moments(s.nu)
        let m = model.driftExponentMoments(target: target)
        #expect(abs(nu.mean - m.mean) < 4 * m.std / root)
        #expect(abs(nu.std / m.std - 1) < 4 / (2 * Double(Self.n)).squareRoot())
    }

    @Test(arguments: [3600.0, 86_400, 3.1536e7])
    func pcmReadAfterDriftMatchesLognormalMean(t: Double) {
        // At 25 uS no clamp acts: g(t)/g_T = (g_prog/g_T) (t/t0)^-nu (1 + s z), with mean
        // E[(t/t0)^-nu] = exp(-mu L + sigma^2 L^2 / 2), L = ln((t + t0) / t0), nu ~ N(0.049, 0.008).
        let model = model(.pcm)
        let target = 25e-6
        let read = Moments(sample(model, target: target, elapsed: t + 20).read.map { $0 / target })
        let l = log((t + 20) / 20)
        let expected = exp(-0.049 * l + 0.008 * 0.008 * l * l / 2)
        #expect(abs(read.mean - expected) < 4 * read.std / root, "t = \(t)")
        // Relative spread: programming noise, 1/f read noise Q_s * growth, and the exponent spread L sigma_nu.
        let readRel = model.qs(programmed: target) * model.readNoiseGrowth(elapsed: t + 20)
        let progRel = model.programmingSigma(target: target) / target
        let nuRel = l * 0.008
        let spread = expected * (readRel * readRel + progRel * progRel + nuRel * nuRel).squareRoot()
        #expect(abs(read.std / spread - 1) < 0.05, "t = \(t)")
    }

    @Test func offDeviceGetsTheCappedExponentAndAHalfNormalOffset() {
        // g_T = 0: nu ~ |N(0.1, 0.045)| with folded mean 0.10041; g_prog = max(0, 0.26348 uS z) with mean
        // 0.26348 / sqrt(2 pi) uS and std 0.26348 sqrt(1/2 - 1/(2 pi)) uS.
        let s = sample(model(.pcm), target: 0)
        let nu = Moments(s.nu)
        #expect(abs(nu.mean - 0.10041) < 4 * 0.045 / root)
        let programmed = Moments(s.programmed)
        let halfNormalStd = 0.26348e-6 * (0.5 - 1 / (2 * Double.pi)).squareRoot()
        #expect(abs(programmed.mean - 0.26348e-6 / (2 * Double.pi).squareRoot()) < 4 * halfNormalStd / root)
        #expect(abs(programmed.std / halfNormalStd - 1) < 0.03)
    }

    @Test func stateIndependentExponentAndConstantNoise() {
        let s = sample(model(.stateIndependent), target: 10e-6)
        // |N(0.1, 0.05)| folds 2.3 % of the mass: mean 0.10085.
        #expect(abs(Moments(s.nu).mean - 0.10085) < 4 * 0.05 / root)
        #expect(abs(Moments(s.programmed).std / 0.2e-6 - 1) < 4 / (2 * Double(Self.n)).squareRoot())
    }

    @Test func reramCMOReadAfterOneDay() {
        var device = DeviceArray.device(.reramCMO)
        device.gMin = Quantity(9e-6)
        device.gMax = Quantity(88.199997e-6)
        let model = DeviceModel(config: device)
        let target = 40e-6, t = 86_400.0
        let read = Moments(sample(model, target: target, elapsed: t + model.t0).read.map { $0 / 1e-6 })
        // mean g_T - 0.08900206 ln t; variance: programming + drift (0.04201137 ln t + 0.41183342)^2 + read.
        let drift = 0.04201137 * log(t) + 0.41183342
        let prog = model.programmingSigma(target: target) / 1e-6
        let readSigma = 0.0277316483 * log10(40 - 0.08900206 * log(t)) * log((t + 1e-6) / 2e-6).squareRoot()
        let spread = (drift * drift + prog * prog + readSigma * readSigma).squareRoot()
        #expect(abs(read.mean - (40 - 0.08900206 * log(t))) < 4 * spread / root)
        #expect(abs(read.std / spread - 1) < 0.05)
    }

    /// `accumulatedNoise` is the spread of one materialized read of a cell around its deterministic drift
    /// (the controller's noise budget): exact for ReRAM CMO and at t0, an upper bound once PCM has drifted.
    @Test(arguments: [DeviceModelKind.pcm, .hermesPCM, .stateIndependent, .reramCMO])
    func accumulatedNoiseIsTheSpreadOfOneRead(kind: DeviceModelKind) {
        let model = model(kind)
        let g = 15e-6, nu = 0.06
        let noise = RandomStream(seed: 12, array: testArray, purpose: .deviceNoise, event: 0)
        for elapsed in [model.t0 + 1, 86_400] {
            let reads = Moments((0..<Self.n).map { i in
                model.conductance(programmed: g, nu: nu, elapsed: elapsed,
                                  z1: noise.gaussian(at: 2 * UInt64(i)), z2: noise.gaussian(at: 2 * UInt64(i) + 1))
            })
            let bound = model.accumulatedNoise(conductance: g, elapsed: elapsed)
            let drift = kind == .reramCMO ? 1 : pow(max(elapsed, model.t0) / model.t0, -nu)
            let tolerance = 4 / (2 * Double(Self.n)).squareRoot()
            #expect(abs(reads.std / (bound * drift) - 1) < tolerance, "\(kind) at \(elapsed) s")
        }
    }

    /// Through the crossbar: every cell takes the model's programming noise and drift exponent, and the
    /// readout at one day shows the mean drift of its level.
    @Test func crossbarCellsFollowTheModel() throws {
        var config = DeviceArray.config(DeviceArray.device(.pcm))
        config.array.rows = 64
        config.array.cols = 64
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        try crossbar.program(weights: Matrix(rows: 64, columns: 32, repeating: 15), seed: 5)
        let model = crossbar.device.model
        let top = crossbar.cells.levels.indices.filter { crossbar.cells.levels[$0] == 15 }
        #expect(top.count == 2048)
        let count = Double(top.count).squareRoot()
        let programmed = Moments(top.map { Double(crossbar.cells.conductance[$0]) })
        let sigma = model.programmingSigma(target: 25e-6)
        #expect(abs(programmed.mean - 25e-6) < 4 * sigma / count)
        #expect(abs(programmed.std / sigma - 1) < 4 / (2 * Double(top.count)).squareRoot())
        let nu = Moments(top.map { Double(crossbar.cells.driftExponent[$0]) })
        #expect(abs(nu.mean - 0.049) < 4 * 0.008 / count)
        #expect(abs(nu.std / 0.008 - 1) < 4 / (2 * Double(top.count)).squareRoot())
        // The off device of each pair: nu ~ |N(0.1, 0.045)|, a half-normal programmed offset.
        let off = crossbar.cells.levels.indices.filter { crossbar.cells.levels[$0] == 0 }
        #expect(off.count == 2048)
        #expect(abs(Moments(off.map { Double(crossbar.cells.driftExponent[$0]) }).mean - 0.10041) < 4 * 0.045 / count)
        let offset = Moments(off.map { Double(crossbar.cells.conductance[$0]) }).mean
        #expect(abs(offset - 0.26348e-6 / (2 * Double.pi).squareRoot()) < 4 * 0.154e-6 / count)
        crossbar.setTime(86_400 + 20)
        let read = Moments(top.map { crossbar.readNow($0) / 25e-6 })
        let l = log((86_400.0 + 20) / 20)
        let expected = exp(-0.049 * l + 0.008 * 0.008 * l * l / 2)
        #expect(abs(read.mean - expected) < 4 * read.std / count)
    }

    @Test func globalCompensationFactorAtOneYearIsAboutTwo() throws {
        // Global drift compensation with an exact reference: alpha = mean|W_ref| / mean|W(t)|; devices at the
        // nu floor alone give 1 / 0.497 = 2.01 at one year, lower levels drift faster.
        var device = DeviceArray.device(.pcm)
        device.driftCompensation = .global
        var config = DeviceArray.config(device)
        config.array.rows = 64
        config.array.cols = 64
        var crossbar = try Crossbar(config: config, id: testArray, temperature: 300)
        let draws = RandomStream(seed: 8, purpose: .data)
        try crossbar.program(weights: Matrix(rows: 64, columns: 32) { r, c in
            Int32(Int(draws.bits(at: UInt64(r * 32 + c)) % 31) - 15)
        }, seed: 8)
        let atZero = try #require(crossbar.readout?.compensationFactors()?.first)
        #expect(abs(atZero - 1) < 0.02)
        crossbar.setTime(DeviceArray.oneYear + 20)
        let alpha = try #require(crossbar.readout?.compensationFactors()?.first)
        #expect(alpha > 1.95 && alpha < 2.15)
    }
}
