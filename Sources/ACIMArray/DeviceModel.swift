import ACIMCore
import Foundation

/// The device models, as aihwkit computes them (formulas in docs/devices.md).
public enum DeviceModelKind: String, ConfigEnumeration {
    /// Linear levels, constant Gaussian programming noise (`programming_noise`), no drift.
    case ideal
    /// aihwkit `PCMLikeNoiseModel`.
    case pcm
    /// aihwkit `HermesNoiseModel`.
    case hermesPCM = "hermes_pcm"
    /// aihwkit `StateIndependentNoiseModel`.
    case stateIndependent = "state_independent"
    /// aihwkit `ReRamCMONoiseModel`.
    case reramCMO = "reram_cmo"
}

/// The conductance of one cell over time: programming noise, drift exponent, drift and accumulated 1/f
/// read noise. Conductances in siemens, times in seconds since the cell was programmed.
///
/// Time follows aihwkit: the first read is at `t0` after programming, and a read at `elapsed` seconds after
/// programming sees `t = max(elapsed, t0)`, so `t_inference = t - t0`.
public struct DeviceModel: Sendable, Equatable, Codable {
    public let kind: DeviceModelKind
    public let gMin: Double
    public let gMax: Double
    /// Constant programming noise of the ideal model.
    public let idealProgrammingNoise: Double
    public let programmingNoiseScale: Double
    public let driftScale: Double
    public let readNoiseScale: Double
    /// Time of the first read after programming.
    public let t0: Double
    /// Width of the 1/f integration pulse.
    public let tRead: Double
    /// Devices per weight in the HERMES fit (1 or 2).
    public let hermesDevices: Int
    /// Acceptance range of the ReRAM CMO programming fit, in percent (0.2 or 2).
    public let reramAcceptance: Double

    public init(config: CellDeviceConfig) {
        kind = config.model
        gMin = config.gMin.value
        gMax = config.gMax.value
        idealProgrammingNoise = config.programmingNoise.value
        programmingNoiseScale = config.programmingNoiseScale
        driftScale = config.driftScale
        readNoiseScale = config.readNoiseScale
        hermesDevices = config.hermesDevices
        reramAcceptance = config.reramAcceptance
        let defaults = DeviceModel.timeConstants(kind, hermesDevices: config.hermesDevices)
        t0 = config.t0.value > 0 ? config.t0.value : defaults.t0
        tRead = config.tRead.value > 0 ? config.tRead.value : defaults.tRead
    }

    /// aihwkit's `t_0` and `t_read` of each model.
    static func timeConstants(_ kind: DeviceModelKind, hermesDevices: Int) -> (t0: Double, tRead: Double) {
        switch kind {
        case .hermesPCM: return (hermesDevices == 1 ? 200 : 300, 512e-9)
        case .reramCMO: return (1, 1e-6)
        default: return (20, 250e-9)
        }
    }

    /// True when conductances change with time.
    public var drifts: Bool { kind != .ideal }

    // MARK: Programming

    /// Standard deviation of the programmed conductance for target `g`.
    public func programmingSigma(target g: Double) -> Double {
        let micro = 1e-6
        let x = g / gMax
        switch kind {
        case .ideal:
            return idealProgrammingNoise
        case .pcm:
            // sigma = (c0 + c1 x + c2 x^2) g_max / g_ref, coefficients in uS, g_ref = 25 uS.
            let poly = 0.26348 + 1.9650 * x - 1.1731 * x * x
            return programmingNoiseScale * poly * micro * (gMax / 25e-6)
        case .hermesPCM:
            let (c, reference): ([Double], Double) = hermesDevices == 1
                ? ([0.15781817, 2.32443916, -2.16310839, 0.68841818], 10.35e-6)
                : ([0.16603222, 4.71806468, -8.48101252, 4.68961419], 20.7e-6)
            let poly = c[0] + c[1] * x + c[2] * x * x + c[3] * x * x * x
            return programmingNoiseScale * poly * micro * (gMax / reference)
        case .stateIndependent:
            return programmingNoiseScale * 0.2 * micro
        case .reramCMO:
            // sigma = c0 + c1 g_T with g_T in uS (a relative slope), by acceptance range.
            let (c0, c1) = reramAcceptance >= 2 ? (0.0112185391, 0.01129027418) : (0.00081107, 0.00106879)
            return programmingNoiseScale * (c0 + c1 * g / micro) * micro
        }
    }

    /// The mean programmed conductance for target `g`: above `g` near 0, where the programming noise is
    /// clamped at 0 (`g Phi(g/s) + s phi(g/s)` for `s` the programming sigma).
    public func programmedMean(target g: Double) -> Double {
        let sigma = programmingSigma(target: g)
        guard kind != .reramCMO, sigma > 0 else { return g }
        let x = g / sigma
        let cdf = 0.5 * Foundation.erfc(-x / 2.0.squareRoot())
        let pdf = Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        return g * cdf + sigma * pdf
    }

    /// The programmed conductance for target `g` and a standard normal `z`; never below 0 (no upper clamp,
    /// as in aihwkit).
    public func programmed(target g: Double, z: Double) -> Double {
        let value = g + programmingSigma(target: g) * z
        return kind == .reramCMO ? value : max(0, value)
    }

    // MARK: Drift exponent

    /// Mean and standard deviation of the drift exponent drawn for target `g`.
    public func driftExponentMoments(target g: Double) -> (mean: Double, std: Double) {
        let gr = max(abs(g / gMax), 1e-7)
        switch kind {
        case .ideal, .reramCMO:
            return (0, 0)
        case .pcm:
            return (clamp(-0.0155 * Foundation.log(gr) + 0.0244, 0.049, 0.1),
                    clamp(-0.0125 * Foundation.log(gr) - 0.0059, 0.008, 0.045))
        case .hermesPCM:
            let mean = gr < 0.0945 ? clamp(-0.0387 * Foundation.log(gr) - 0.0182, 0.072, 0.13)
                : -0.0436 * gr * gr - 0.0126 * gr + 0.0736
            let std: Double
            if hermesDevices == 1 {
                std = gr < 0.3039 ? clamp(-0.0120 * Foundation.log(gr) - 0.0023, 0.0124, 0.04)
                    : -0.0165 * gr * gr + 0.0116 * gr + 0.0104
            } else {
                std = gr < 0.3055 ? clamp(-0.0117 * Foundation.log(gr) - 0.0057, 0.0091, 0.04)
                    : -0.0118 * gr * gr + 0.0093 * gr + 0.0073
            }
            return (mean, std)
        case .stateIndependent:
            return (0.1, 0.05)
        }
    }

    /// The drift exponent for target `g` and a standard normal `z`: a folded normal `|mean + std z|`.
    public func driftExponent(target g: Double, z: Double) -> Double {
        let (mean, std) = driftExponentMoments(target: g)
        return abs(mean + std * z) * driftScale
    }

    // MARK: Drift and 1/f read noise

    /// `sqrt(ln((t + t_read) / (2 t_read)))` at `t = max(elapsed, t0)`.
    public func readNoiseGrowth(elapsed: Double) -> Double {
        let t = max(elapsed, t0)
        return Foundation.log((t + tRead) / (2 * tRead)).squareRoot()
    }

    /// `pcm`'s fit of the 1/f coefficient: `Q_s = min(scale / max(g_r^exponent, 1e-3), cap)`.
    static let pcmNoiseFit = (scale: 0.0088, exponent: 0.65, cap: 0.2)

    /// The PCM-style 1/f coefficient `Q_s` for programmed conductance `g`.
    public func qs(programmed g: Double) -> Double {
        let gr = abs(g) / gMax
        switch kind {
        case .pcm:
            let fit = DeviceModel.pcmNoiseFit
            return min(fit.scale / max(Foundation.pow(gr, fit.exponent), 1e-3), fit.cap)
        case .hermesPCM:
            return HermesNoiseFit(devices: hermesDevices).qs(gr)
        default:
            return 0
        }
    }

    /// ReRAM CMO's terms `t_inference` seconds after the first read (in uS): the mean drift
    /// `0.08900206 ln t`, the drift spread's standard deviation `drift_scale (0.04201137 ln t + 0.41183342)`
    /// and the read noise's standard deviation per `log10` of the drifted conductance,
    /// `0.0277316483 sqrt(ln((t + 1e-6) / 2e-6))`.
    func reramDrift(tInference t: Double) -> (shift: Double, spread: Double, noise: Double) {
        let lnT = Foundation.log(t)
        return (0.08900206 * lnT, driftScale * (0.04201137 * lnT + 0.41183342),
                0.0277316483 * Foundation.log((t + 1e-6) / 2e-6).squareRoot())
    }

    /// Standard deviation of the accumulated read noise of a cell at conductance `g`, `elapsed` seconds
    /// after programming (one sample per materialized time).
    public func accumulatedNoise(conductance g: Double, elapsed: Double) -> Double {
        switch kind {
        case .ideal: return 0
        case .pcm, .hermesPCM: return abs(g) * readNoiseScale * qs(programmed: g) * readNoiseGrowth(elapsed: elapsed)
        case .stateIndependent: return readNoiseScale * abs(g / gMax) * readNoiseGrowth(elapsed: elapsed) * 1e-6
        case .reramCMO:
            // The drift spread is drawn with each materialized time as well.
            let t = max(elapsed, t0) - t0
            guard t > 0 else { return 0 }
            let terms = reramDrift(tInference: t)
            let read = readNoiseScale * abs(terms.noise * Foundation.log10(max(g / 1e-6, 1e-12)))
            return (terms.spread * terms.spread + read * read).squareRoot() * 1e-6
        }
    }

    /// What every cell programmed `elapsed` seconds ago shares at a read: `t = max(elapsed, t0)`,
    /// `ln(t / t0)` and the 1/f noise growth.
    public struct ReadClock: Sendable {
        public let elapsed: Double
        public let t: Double
        public let logRatio: Double
        public let growth: Double
    }

    /// The read clock of cells programmed `elapsed` seconds ago.
    public func clock(elapsed: Double) -> ReadClock {
        let t = max(elapsed, t0)
        return ReadClock(elapsed: elapsed, t: t, logRatio: Foundation.log(t / t0), growth: readNoiseGrowth(elapsed: elapsed))
    }

    /// Whether a read draws the first and the second standard normal of `conductance`.
    public var drawsReadNoise: Bool { kind != .ideal }
    public var drawsDriftSpread: Bool { kind == .reramCMO }

    /// The conductance `elapsed` seconds after programming to `programmed` with drift exponent `nu`:
    /// the deterministic drift and one sample of the accumulated read noise (`z1`, `z2` standard normals).
    public func conductance(programmed g: Double, nu: Double, elapsed: Double, z1: Double, z2: Double) -> Double {
        conductance(programmed: g, nu: nu, clock: clock(elapsed: elapsed), z1: z1, z2: z2)
    }

    /// `conductance(programmed:nu:elapsed:z1:z2:)` with the terms shared by the cells of one write
    /// computed once.
    @inline(__always)
    public func conductance(programmed g: Double, nu: Double, clock: ReadClock, z1: Double, z2: Double) -> Double {
        let t = clock.t
        switch kind {
        case .ideal:
            return g
        case .pcm, .hermesPCM:
            let drift = t > t0 ? g * Foundation.exp(-nu * clock.logRatio) : g
            let sigma = qs(programmed: g) * clock.growth
            return max(0, drift + abs(drift) * readNoiseScale * sigma * z1)
        case .stateIndependent:
            let drift = t > t0 ? g * Foundation.exp(-nu * clock.logRatio) : g
            // An absolute noise of |g/g_max| uS times the growth (custom.py).
            let sigma = abs(drift / gMax) * clock.growth * 1e-6
            return max(0, drift + readNoiseScale * sigma * z1)
        case .reramCMO:
            // aihwkit's fit is in t_inference, the time since the first read.
            let tInference = t - t0
            guard tInference > 0 else { return g }
            let micro = 1e-6
            let terms = reramDrift(tInference: tInference)
            let drifted = g / micro - terms.shift + terms.spread * z2
            let sigma = terms.noise * Foundation.log10(max(drifted, 1e-12))
            let value = (drifted + readNoiseScale * sigma * z1) * micro
            return min(max(value, gMin), gMax)
        }
    }
}

/// The HERMES fit of the 1/f coefficient, by devices per weight: a clipped logarithm of `g_r = |g| / g_max`
/// below `boundary`, a cubic from it on.
struct HermesNoiseFit {
    let boundary: Double
    let slope: Double, intercept: Double, low: Double, high: Double
    /// The cubic's coefficients, highest power first.
    let c3: Double, c2: Double, c1: Double, c0: Double

    init(devices: Int) {
        if devices == 1 {
            (boundary, slope, intercept, low, high) = (0.1591, -0.0078, 0.0038, 0.0179, 0.04)
            (c3, c2, c1, c0) = (0.0664, -0.1352, 0.0768, 0.0088)
        } else {
            (boundary, slope, intercept, low, high) = (0.16, -0.0117, -0.0069, 0.015, 0.04)
            (c3, c2, c1, c0) = (0.0069, -0.0280, 0.0211, 0.0123)
        }
    }

    func qs(_ gr: Double) -> Double {
        gr < boundary ? clamp(slope * Foundation.log(gr) + intercept, low, high)
            : c3 * gr * gr * gr + c2 * gr * gr + c1 * gr + c0
    }
}

private func clamp(_ x: Double, _ low: Double, _ high: Double) -> Double { min(max(x, low), high) }
