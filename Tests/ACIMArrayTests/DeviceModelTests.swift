import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// Closed-form checks of every device model against the formulas aihwkit implements (docs/devices.md),
/// including the clamp edges. Times: `elapsed` counts from programming, so aihwkit's `t_inference`
/// is `elapsed - t0`.
@Suite struct DeviceModelTests {
    let uS = 1e-6
    let pcm = DeviceModel(config: DeviceArray.device(.pcm))

    func model(_ kind: DeviceModelKind, _ edit: (inout CellDeviceConfig) -> Void = { _ in }) -> DeviceModel {
        var device = DeviceArray.device(kind)
        edit(&device)
        return DeviceModel(config: device)
    }

    // MARK: PCM (section 1)

    @Test func pcmProgrammingNoiseTable() {
        let table: [(Double, Double)] = [(0, 0.2635), (1, 0.3402), (2.5, 0.4482), (5, 0.6096), (10, 0.8618),
                                         (15, 1.0202), (20, 1.0847), (25, 1.0554)]
        for (g, sigma) in table {
            #expect(abs(pcm.programmingSigma(target: g * uS) / uS - sigma) < 5e-5, "g_T = \(g) uS")
        }
        // Rescaled by g_max / 25 uS: at g_max = 50 uS the same x gives twice the sigma.
        let wide = model(.pcm) { $0.gMax = Quantity(50e-6) }
        #expect(abs(wide.programmingSigma(target: 50 * uS) / (2 * pcm.programmingSigma(target: 25 * uS)) - 1) < 1e-12)
        // programming_noise_scale multiplies it.
        let scaled = model(.pcm) { $0.programmingNoiseScale = 2 }
        #expect(abs(scaled.programmed(target: 10 * uS, z: 1) - (10 * uS + 2 * pcm.programmingSigma(target: 10 * uS))) < 1e-15)
    }

    @Test func programmedIsClampedAtZeroButNotAbove() {
        #expect(pcm.programmed(target: 1 * uS, z: -100) == 0)
        #expect(pcm.programmed(target: 25 * uS, z: 3) > 25 * uS)
        #expect(abs(pcm.programmed(target: 25 * uS, z: 3) - (25 + 3 * 1.0554) * uS) < 1e-4 * uS)
        // ReRAM CMO is not clamped at programming.
        #expect(model(.reramCMO).programmed(target: 0, z: -1) < 0)
    }

    @Test func pcmDriftExponentTableAndClampEdges() {
        let table: [(Double, Double, Double)] = [(0, 0.1, 0.045), (1, 0.0743, 0.0343), (2.5, 0.0601, 0.0229),
                                                 (5, 0.0493, 0.0142), (10, 0.049, 0.008), (15, 0.049, 0.008),
                                                 (20, 0.049, 0.008), (25, 0.049, 0.008)]
        for (g, mean, std) in table {
            let m = pcm.driftExponentMoments(target: g * uS)
            #expect(abs(m.mean - mean) < 5e-5 && abs(m.std - std) < 5e-5, "g_T = \(g) uS")
        }
        // mu floor 0.049 at g_r >= 0.2045, cap 0.1 at g_r <= 0.00762; sigma floor 0.008 at g_r >= 0.329,
        // cap 0.045 at g_r <= 0.0170.
        let gMax = 25 * uS
        #expect(pcm.driftExponentMoments(target: 0.2046 * gMax).mean == 0.049)
        #expect(pcm.driftExponentMoments(target: 0.2040 * gMax).mean > 0.049)
        #expect(pcm.driftExponentMoments(target: 0.00761 * gMax).mean == 0.1)
        #expect(pcm.driftExponentMoments(target: 0.00765 * gMax).mean < 0.1)
        #expect(pcm.driftExponentMoments(target: 0.33 * gMax).std == 0.008)
        #expect(pcm.driftExponentMoments(target: 0.32 * gMax).std > 0.008)
        #expect(pcm.driftExponentMoments(target: 0.0169 * gMax).std == 0.045)
        #expect(pcm.driftExponentMoments(target: 0.0172 * gMax).std < 0.045)
        // Folded normal |mu + sigma z|, times drift_scale.
        #expect(abs(pcm.driftExponent(target: 0, z: -3) - abs(0.1 - 3 * 0.045)) < 1e-15)
        #expect(abs(model(.pcm) { $0.driftScale = 2 }.driftExponent(target: 0, z: 1) - 2 * 0.145) < 1e-15)
    }

    @Test func pcmQsTableAndCap() {
        let table: [(Double, Double)] = [(0, 0.2), (1, 0.0713), (2.5, 0.0393), (5, 0.0251), (10, 0.0160),
                                         (15, 0.0123), (20, 0.0102), (25, 0.0088)]
        for (g, q) in table {
            #expect(abs(pcm.qs(programmed: g * uS) - q) < 5e-5, "g = \(g) uS")
        }
        // Q_s caps at 0.2 below g_r = 0.00818.
        #expect(pcm.qs(programmed: 0.0081 * 25 * uS) == 0.2)
        #expect(pcm.qs(programmed: 0.0083 * 25 * uS) < 0.2)
    }

    @Test func pcmReadNoiseGrowthTable() {
        // Times of the table are t_inference; elapsed = t_inference + t0. Before t0 the read sees t0.
        let table: [(Double, Double)] = [(0, 4.1838), (1, 4.1897), (3600, 4.7648), (86_400, 5.0868), (3.15e7, 5.6369)]
        for (t, value) in table {
            #expect(abs(pcm.readNoiseGrowth(elapsed: t + 20) - value) < 1e-4, "t = \(t)")
        }
        #expect(pcm.readNoiseGrowth(elapsed: 0) == pcm.readNoiseGrowth(elapsed: 20))
        // Relative accumulated noise: 3.7 % at g_max at t = 0, 5.0 % at 1 year.
        #expect(abs(pcm.accumulatedNoise(conductance: 25 * uS, elapsed: 20) / (25 * uS) - 0.0368) < 5e-4)
        #expect(abs(pcm.accumulatedNoise(conductance: 25 * uS, elapsed: 3.15e7 + 20) / (25 * uS) - 0.0496) < 5e-4)
    }

    @Test func pcmDriftFactorTable() {
        let g = 20 * uS
        let table: [(Double, Double)] = [(1, 0.99761), (3600, 0.77513), (86_400, 0.66352), (3.15e7, 0.49697)]
        for (t, factor) in table {
            let read = pcm.conductance(programmed: g, nu: 0.049, elapsed: t + 20, z1: 0, z2: 0)
            #expect(abs(read / g - factor) < 1e-5, "t = \(t)")
        }
        // No drift up to t0.
        #expect(pcm.conductance(programmed: g, nu: 0.1, elapsed: 5, z1: 0, z2: 0) == g)
        #expect(pcm.conductance(programmed: g, nu: 0.1, elapsed: 20, z1: 0, z2: 0) == g)
        // A large negative read noise clamps at 0.
        #expect(pcm.conductance(programmed: g, nu: 0.049, elapsed: 3620, z1: -1000, z2: 0) == 0)
        // Read noise is relative to the drifted conductance, with Q_s of the programmed one.
        let plusOne = pcm.conductance(programmed: g, nu: 0.049, elapsed: 3620, z1: 1, z2: 0)
        let drifted = g * 0.77513
        #expect(abs(plusOne / drifted - 1 - pcm.qs(programmed: g) * 4.7648) < 1e-5)
        // read_noise_scale multiplies it.
        let loud = model(.pcm) { $0.readNoiseScale = 3 }.conductance(programmed: g, nu: 0, elapsed: 20, z1: 1, z2: 0)
        #expect(abs(loud / g - 1 - 3 * pcm.qs(programmed: g) * 4.1838) < 1e-5)
    }

    // MARK: HERMES (section 3)

    @Test func hermesTwoDevices() {
        let hermes = model(.hermesPCM) { $0.gMax = Quantity(20.7e-6) }
        #expect(hermes.t0 == 300 && hermes.tRead == 512e-9)
        let gMax = 20.7 * uS
        #expect(abs(hermes.programmingSigma(target: gMax) / uS - 1.09269857) < 1e-8)
        #expect(abs(hermes.programmingSigma(target: 0) / uS - 0.16603222) < 1e-8)
        let x = 0.5
        let cubic = 0.16603222 + 4.71806468 * x - 8.48101252 * x * x + 4.68961419 * x * x * x
        #expect(abs(hermes.programmingSigma(target: x * gMax) / uS - cubic) < 1e-8)
        // nu mean: log branch clipped to [0.072, 0.13] below g_r = 0.0945, quadratic above.
        #expect(hermes.driftExponentMoments(target: 0).mean == 0.13)
        #expect(abs(hermes.driftExponentMoments(target: 0.05 * gMax).mean - (-0.0387 * log(0.05) - 0.0182)) < 1e-12)
        #expect(abs(hermes.driftExponentMoments(target: 0.09 * gMax).mean - (-0.0387 * log(0.09) - 0.0182)) < 1e-12)
        #expect(abs(hermes.driftExponentMoments(target: 0.5 * gMax).mean - (-0.0436 * 0.25 - 0.0126 * 0.5 + 0.0736)) < 1e-12)
        // nu std: clipped to [0.0091, 0.04] below g_r = 0.3055, quadratic above.
        #expect(hermes.driftExponentMoments(target: 0).std == 0.04)
        #expect(hermes.driftExponentMoments(target: 0.3 * gMax).std == 0.0091)
        #expect(abs(hermes.driftExponentMoments(target: 0.05 * gMax).std - (-0.0117 * log(0.05) - 0.0057)) < 1e-12)
        #expect(abs(hermes.driftExponentMoments(target: gMax).std - (-0.0118 + 0.0093 + 0.0073)) < 1e-12)
        // Q_s: clipped to [0.015, 0.04] below g_r = 0.16, cubic above.
        #expect(hermes.qs(programmed: 1e-9) == 0.04)
        #expect(hermes.qs(programmed: 0.158 * gMax) == 0.015)
        #expect(abs(hermes.qs(programmed: 0.15 * gMax) - (-0.0117 * log(0.15) - 0.0069)) < 1e-12)
        #expect(abs(hermes.qs(programmed: gMax) - 0.0123) < 1e-12)
        #expect(abs(hermes.qs(programmed: 0.5 * gMax) - (0.0069 * 0.125 - 0.0280 * 0.25 + 0.0211 * 0.5 + 0.0123)) < 1e-12)
        // Drift and read noise as PCM, from t0 = 300 s with t_read = 512 ns.
        let g = 10 * uS
        let read = hermes.conductance(programmed: g, nu: 0.06, elapsed: 3000, z1: 1, z2: 0)
        let drifted = g * pow(10.0, -0.06)
        let growth = log((3000 + 512e-9) / (2 * 512e-9)).squareRoot()
        #expect(abs(read - drifted * (1 + hermes.qs(programmed: g) * growth)) < 1e-15)
    }

    @Test func hermesOneDevice() {
        let one = model(.hermesPCM) {
            $0.hermesDevices = 1
            $0.gMax = Quantity(10.35e-6)
        }
        #expect(one.t0 == 200 && one.tRead == 512e-9)
        let gMax = 10.35 * uS
        #expect(abs(one.programmingSigma(target: gMax) / uS - (0.15781817 + 2.32443916 - 2.16310839 + 0.68841818)) < 1e-8)
        #expect(one.driftExponentMoments(target: 0).std == 0.04)
        #expect(one.driftExponentMoments(target: 0.3 * gMax).std == 0.0124)
        #expect(abs(one.driftExponentMoments(target: gMax).std - (-0.0165 + 0.0116 + 0.0104)) < 1e-12)
        #expect(one.qs(programmed: 1e-9) == 0.04)
        #expect(abs(one.qs(programmed: 0.15 * gMax) - (-0.0078 * log(0.15) + 0.0038)) < 1e-12)
        #expect(abs(one.qs(programmed: gMax) - (0.0664 - 0.1352 + 0.0768 + 0.0088)) < 1e-12)
        // A g_max other than the fit's rescales sigma by g_max / 10.35 uS.
        let wide = model(.hermesPCM) {
            $0.hermesDevices = 1
            $0.gMax = Quantity(20.7e-6)
        }
        #expect(abs(wide.programmingSigma(target: 20.7 * uS) / one.programmingSigma(target: gMax) - 2) < 1e-12)
    }

    // MARK: State-independent and ReRAM CMO (section 3)

    @Test func stateIndependent() {
        let si = model(.stateIndependent)
        #expect(si.t0 == 20 && si.tRead == 250e-9)
        #expect(abs(si.programmingSigma(target: 7 * uS) - 0.2 * uS) < 1e-18)
        #expect(abs(si.programmingSigma(target: 25 * uS) - 0.2 * uS) < 1e-18)
        let m = si.driftExponentMoments(target: 3 * uS)
        #expect(m.mean == 0.1 && m.std == 0.05)
        // Absolute noise |g/g_max| * growth uS, no Q_s.
        let g = 12.5 * uS
        let read = si.conductance(programmed: g, nu: 0, elapsed: 20, z1: 1, z2: 0)
        #expect(abs((read - g) / uS - 0.5 * 4.1838) < 1e-4)
        let drifted = si.conductance(programmed: g, nu: 0.1, elapsed: 3620, z1: 0, z2: 0)
        #expect(abs(drifted / g - pow(181.0, -0.1)) < 1e-12)
    }

    @Test func reramCMO() {
        let reram = model(.reramCMO) {
            $0.gMin = Quantity(9e-6)
            $0.gMax = Quantity(88.199997e-6)
        }
        #expect(abs(reram.programmingSigma(target: 25 * uS) / uS - (0.00081107 + 0.00106879 * 25)) < 1e-12)
        let wide = model(.reramCMO) { $0.reramAcceptance = 2 }
        #expect(abs(wide.programmingSigma(target: 25 * uS) / uS - (0.0112185391 + 0.01129027418 * 25)) < 1e-12)
        #expect(reram.driftExponentMoments(target: 40 * uS) == (0, 0))
        let g = 40 * uS
        // Times are t_inference = elapsed - t0 (t0 = 1 s): unchanged up to the first read.
        #expect(reram.t0 == 1 && reram.tRead == 1e-6)
        #expect(reram.conductance(programmed: g, nu: 0, elapsed: 0, z1: 3, z2: 3) == g)
        #expect(reram.conductance(programmed: g, nu: 0, elapsed: 1, z1: 3, z2: 3) == g)
        #expect(reram.accumulatedNoise(conductance: g, elapsed: 1) == 0)
        // ln t = 1: the mean shifts by -0.08900206 uS; the drift spread is 0.04201137 + 0.41183342 uS per z2;
        // the read noise 0.0277316483 log10(g_drift) sqrt(ln((t + 1e-6) / 2e-6)) uS per z1.
        let e = exp(1.0), elapsed = e + 1
        #expect(abs(reram.conductance(programmed: g, nu: 0, elapsed: elapsed, z1: 0, z2: 0) / uS - (40 - 0.08900206)) < 1e-9)
        let drifted = 40 - 0.08900206 + 0.45384479
        #expect(abs(reram.conductance(programmed: g, nu: 0, elapsed: elapsed, z1: 0, z2: 1) / uS - drifted) < 1e-9)
        let sigma = 0.0277316483 * log10(drifted) * log((e + 1e-6) / 2e-6).squareRoot()
        #expect(abs(reram.conductance(programmed: g, nu: 0, elapsed: elapsed, z1: 1, z2: 1) / uS - (drifted + sigma)) < 1e-9)
        // Clipped to [g_min, g_max].
        #expect(reram.conductance(programmed: g, nu: 0, elapsed: elapsed, z1: 0, z2: -1000) == 9e-6)
        #expect(reram.conductance(programmed: g, nu: 0, elapsed: elapsed, z1: 0, z2: 1000) == 88.199997e-6)
    }

    @Test func idealNeverDrifts() {
        var device = CellDeviceConfig()
        device.programmingNoise = Quantity(0.3e-6)
        let ideal = DeviceModel(config: device)
        #expect(!ideal.drifts)
        #expect(ideal.programmingSigma(target: 20 * uS) == 0.3e-6)
        #expect(ideal.programmed(target: 20 * uS, z: 2) == 20.6 * uS)
        #expect(ideal.driftExponent(target: 0, z: 2) == 0)
        #expect(ideal.conductance(programmed: 20 * uS, nu: 0.1, elapsed: 3.15e7, z1: 5, z2: 5) == 20 * uS)
        #expect(ideal.accumulatedNoise(conductance: 20 * uS, elapsed: 3.15e7) == 0)
    }

    @Test func configuredTimesOverrideTheModels() {
        let custom = model(.pcm) {
            $0.t0 = Quantity(100)
            $0.tRead = Quantity(1e-6)
        }
        #expect(custom.t0 == 100 && custom.tRead == 1e-6)
        #expect(abs(custom.readNoiseGrowth(elapsed: 0) - log(100.000001 / 2e-6).squareRoot()) < 1e-12)
    }
}
