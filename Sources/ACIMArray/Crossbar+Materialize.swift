import ACIMCore
import Foundation

/// The standard normals a materialized read draws per cell. Each draw has its own sub-stream of the array's
/// device-noise stream at the materialized time, and cells `2k` and `2k + 1` take the two values of
/// `gaussianPair` at counter `k`, so one hash serves two cells.
enum DeviceNoiseDraw: UInt64, CaseIterable {
    /// The accumulated 1/f read noise, `z1`.
    case readNoise = 0
    /// The drift spread of ReRAM CMO, `z2`.
    case driftSpread = 1
    /// The random part of read disturb.
    case readDisturb = 2
}

/// The fast path of materialization: G(t) of every cell in single precision, a word line at a time, with
/// the terms shared by the cells of weight sites written together computed once, and vectorized loops for
/// the rest. `readConductance` is its reference, per cell in double precision; they agree within 1e-5 of
/// the level range (`MaterializationTests`).
extension Crossbar {
    /// The reference's normal `draw` of cell `index` from `noise` (the device-noise stream).
    func deviceNormal(_ draw: DeviceNoiseDraw, cell index: Int, noise: RandomStream) -> Double {
        let pair = noise.substream(draw.rawValue).gaussianPair(at: UInt64(index >> 1))
        return index & 1 == 0 ? pair.0 : pair.1
    }

    /// Writes the levels (`(g - g_min) / level step`) of the cells on `wordLines` x `columns` at the array's
    /// time and temperature into `levels`, at the same positions.
    func materializeLevels(wordLines: Range<Int>, columns: Range<Int>, into levels: inout Matrix<Float>) {
        let model = device.model
        switch model.kind {
        case .ideal:
            materializeLevels(wordLines: wordLines, columns: columns, into: &levels, kernel: IdentityKernel())
        case .pcm:
            materializeLevels(wordLines: wordLines, columns: columns, into: &levels,
                              kernel: DriftKernel(coefficient: PCMCoefficient(gMax: model.gMax)))
        case .hermesPCM:
            materializeLevels(wordLines: wordLines, columns: columns, into: &levels,
                              kernel: DriftKernel(coefficient: HermesCoefficient(devices: model.hermesDevices,
                                                                                   gMax: model.gMax)))
        case .stateIndependent:
            materializeLevels(wordLines: wordLines, columns: columns, into: &levels,
                              kernel: DriftKernel(coefficient: UnitCoefficient()))
        case .reramCMO:
            materializeLevels(wordLines: wordLines, columns: columns, into: &levels,
                              kernel: ReRAMKernel(gMin: Float(model.gMin), gMax: Float(model.gMax)))
        }
    }

    private func materializeLevels<Kernel: CellKernel>(wordLines: Range<Int>, columns: Range<Int>,
                                                       into levels: inout Matrix<Float>, kernel: Kernel) {
        let model = device.model, aging = config.device.aging
        let step = device.levelStep, gMin = model.gMin
        let width = columns.count
        guard model.drifts || aging.isActive else {
            // Nothing moves: the programmed conductances, exactly as the reference converts them.
            for w in wordLines {
                for c in columns { levels[w, c] = Float((Double(cells.conductance[w * cells.columns + c]) - gMin) / step) }
            }
            return
        }
        let noise = deviceNoise
        let draws: [DeviceNoiseDraw] = [model.drawsReadNoise ? .readNoise : nil,
                                        model.drawsDriftSpread ? .driftSpread : nil,
                                        aging.readDisturbStd > 0 && reads > 0 ? .readDisturb : nil].compactMap { $0 }
        let streams = draws.map { noise.substream($0.rawValue) }
        var terms = ReadTermsCache()
        let stride = width + 2
        withUnsafeTemporaryAllocation(of: Float.self, capacity: DeviceNoiseDraw.allCases.count * stride) { normals in
            normals.initialize(repeating: 0)
            let base = normals.baseAddress!
            cells.conductance.withUnsafeBufferPointer { conductance in
                cells.driftExponent.withUnsafeBufferPointer { driftExponent in
                    let outColumns = levels.columns
                    levels.storage.withUnsafeMutableBufferPointer { out in
                        for w in wordLines {
                            let first = w * cells.columns + columns.lowerBound
                            // The normals of the cells on this word line, two per hash.
                            let pairs = UInt64(first >> 1)..<UInt64((first + width + 1) >> 1)
                            for (d, draw) in draws.enumerated() {
                                streams[d].gaussianPairs(pairs, into: base + Int(draw.rawValue) * stride)
                            }
                            func normal(_ draw: DeviceNoiseDraw) -> UnsafePointer<Float> {
                                UnsafePointer(base + Int(draw.rawValue) * stride + (first & 1))
                            }
                            // Runs of cells whose sites were written together share their read terms.
                            var c = columns.lowerBound
                            while c < columns.upperBound {
                                let site = cells.site(ofCell: w * cells.columns + c)
                                var end = min(columns.upperBound, (c / cells.columnsPerSite + 1) * cells.columnsPerSite)
                                var next = site + 1
                                while end < columns.upperBound && cells.sameWrite(site, next) {
                                    end = min(columns.upperBound, end + cells.columnsPerSite)
                                    next += 1
                                }
                                let run = terms.terms(of: site, in: self)
                                let offset = c - columns.lowerBound
                                let span = CellSpan(count: end - c,
                                                    conductance: conductance.baseAddress! + first + offset,
                                                    driftExponent: driftExponent.baseAddress! + first + offset,
                                                    readNoise: normal(.readNoise) + offset,
                                                    driftSpread: normal(.driftSpread) + offset,
                                                    levels: out.baseAddress! + w * outColumns + c)
                                if run.drifts { kernel.levels(span, run) } else { IdentityKernel().levels(span, run) }
                                if run.disturb != 0 {
                                    let z = normal(.readDisturb) + offset
                                    for i in 0..<span.count { span.levels[i] += run.disturb * z[i] }
                                }
                                c = end
                            }
                        }
                    }
                }
            }
        }
    }

    /// The single-precision read terms of the cells of weight site `site`.
    func readTerms(site: Int) -> ReadTerms {
        let model = device.model, aging = config.device.aging
        let read = siteRead(site)
        let clock = read.clock
        var terms = ReadTerms(drifts: model.drifts, log2Ratio: 0, noise: 0, meanShift: 0, spread: 0, scale: 0,
                              offset: 0, disturb: 0)
        switch model.kind {
        case .ideal:
            break
        case .pcm, .hermesPCM, .stateIndependent:
            terms.log2Ratio = clock.t > model.t0 ? Float(clock.logRatio / M_LN2) : 0
            let noise = model.readNoiseScale * clock.growth
            terms.noise = Float(model.kind == .stateIndependent ? noise * 1e-6 / model.gMax : noise)
        case .reramCMO:
            let tInference = clock.t - model.t0
            terms.drifts = tInference > 0
            if terms.drifts {
                let drift = model.reramDrift(tInference: tInference)
                terms.meanShift = Float(drift.shift)
                terms.spread = Float(drift.spread)
                // The kernel takes the base-2 logarithm: log10 x = log2 x log10 2.
                terms.noise = Float(model.readNoiseScale * drift.noise * Foundation.log10(2.0))
            }
        }
        // Retention, read disturb and the temperature read-out are affine in the conductance: fold them and
        // the conversion to levels into one scale and offset.
        let range = model.gMax - model.gMin
        let disturbed = read.disturbs > 0 && (aging.readDisturb > 0 || aging.readDisturbStd > 0)
        let shift = disturbed ? read.disturbs * aging.readDisturb * range : 0
        let spread = disturbed ? read.disturbs.squareRoot() * aging.readDisturbStd * range : 0
        let step = device.levelStep
        terms.scale = Float(read.retention * read.readoutFactor / step)
        terms.offset = Float(((model.gMin * (1 - read.retention) + shift) * read.readoutFactor - model.gMin) / step)
        terms.disturb = Float(spread * read.readoutFactor / step)
        return terms
    }
}

/// What the cells of a run share at a read, in single precision: the device model's time terms and the
/// affine map of aging and level conversion, `level = g scale + offset + disturb z`.
struct ReadTerms {
    /// Whether the device model moves the conductance (false for `ideal`, and for ReRAM CMO before `t0`).
    var drifts: Bool
    /// `log2(t / t0)`, 0 until `t0`.
    var log2Ratio: Float
    /// The accumulated noise's factor: `read_noise_scale` times the 1/f growth (over `g_max`, in uS, for
    /// `state_independent`), or ReRAM CMO's `read_noise_scale 0.0277 log10(2) sqrt(ln((t_i + 1e-6) / 2e-6))`.
    var noise: Float
    /// ReRAM CMO's mean drift and drift spread, in uS.
    var meanShift: Float
    var spread: Float
    var scale: Float
    var offset: Float
    var disturb: Float
}

/// The read terms of the last weight site asked for, reused for sites written together with it.
private struct ReadTermsCache {
    private var last: (site: Int, terms: ReadTerms)?

    mutating func terms(of site: Int, in crossbar: Crossbar) -> ReadTerms {
        if let last, crossbar.cells.sameWrite(last.site, site) { return last.terms }
        let terms = crossbar.readTerms(site: site)
        last = (site, terms)
        return terms
    }
}

/// A run of cells on one word line: their state, their normals and where their levels go.
struct CellSpan {
    let count: Int
    let conductance: UnsafePointer<Float>
    let driftExponent: UnsafePointer<Float16>
    let readNoise: UnsafePointer<Float>
    let driftSpread: UnsafePointer<Float>
    let levels: UnsafeMutablePointer<Float>
}

/// The device model's G(t) of a run of cells, converted to levels by the run's terms.
protocol CellKernel {
    func levels(_ span: CellSpan, _ terms: ReadTerms)
}

/// A device that does not move: `level = g scale + offset`.
struct IdentityKernel: CellKernel {
    func levels(_ span: CellSpan, _ terms: ReadTerms) {
        let (scale, offset) = (terms.scale, terms.offset)
        for i in 0..<span.count { span.levels[i] = span.conductance[i] * scale + offset }
    }
}

/// Power-law drift with accumulated 1/f noise (`pcm`, `hermes_pcm`, `state_independent`):
/// `g_D = g 2^(-nu log2(t / t0))`, `max(0, g_D + |g_D| noise Q_s(g) z1)`.
struct DriftKernel<Coefficient: NoiseCoefficient>: CellKernel {
    let coefficient: Coefficient

    func levels(_ span: CellSpan, _ terms: ReadTerms) {
        let (log2Ratio, noise, scale, offset) = (-terms.log2Ratio, terms.noise, terms.scale, terms.offset)
        for i in 0..<span.count {
            let g = span.conductance[i]
            let nu = FastMath.float(halfBits: span.driftExponent[i].bitPattern)
            let drift = g * FastMath.exp2(nu * log2Ratio)
            let value = max(0, drift + drift.magnitude * (noise * coefficient(g)) * span.readNoise[i])
            span.levels[i] = value * scale + offset
        }
    }
}

/// ReRAM CMO: `d = g - shift + spread z2` (uS), `clip(d + noise log2(max(d, 1e-12)) z1, g_min, g_max)`.
struct ReRAMKernel: CellKernel {
    let gMin: Float
    let gMax: Float

    func levels(_ span: CellSpan, _ terms: ReadTerms) {
        let (shift, spread, noise, scale, offset) = (terms.meanShift, terms.spread, terms.noise, terms.scale, terms.offset)
        for i in 0..<span.count {
            let drifted = span.conductance[i] * 1e6 - shift + spread * span.driftSpread[i]
            let sigma = noise * FastMath.log2(max(drifted, 1e-12))
            let value = min(max((drifted + sigma * span.readNoise[i]) * 1e-6, gMin), gMax)
            span.levels[i] = value * scale + offset
        }
    }
}

/// The 1/f coefficient `Q_s` of a programmed conductance, in single precision.
protocol NoiseCoefficient {
    func callAsFunction(_ g: Float) -> Float
}

/// `state_independent`: the noise factor holds it all.
struct UnitCoefficient: NoiseCoefficient {
    @inline(__always) func callAsFunction(_ g: Float) -> Float { 1 }
}

/// `pcm`: `min(scale / max(g_r^exponent, 1e-3), cap) = min(scale g_r^-exponent, cap)`, the floor being
/// below the cap.
struct PCMCoefficient: NoiseCoefficient {
    let inverseGMax: Float
    let scale = Float(DeviceModel.pcmNoiseFit.scale)
    let exponent = -Float(DeviceModel.pcmNoiseFit.exponent)
    let cap = Float(DeviceModel.pcmNoiseFit.cap)

    init(gMax: Double) { inverseGMax = Float(1 / gMax) }

    @inline(__always) func callAsFunction(_ g: Float) -> Float {
        min(scale * FastMath.exp2(exponent * FastMath.log2(max(g.magnitude * inverseGMax, 1e-30))), cap)
    }
}

/// `hermes_pcm`'s `HermesNoiseFit`. Its boundary is moved to the first single-precision conductance the
/// reference's double-precision test puts above it, so both paths take the same branch for every cell.
struct HermesCoefficient: NoiseCoefficient {
    let inverseGMax: Float
    let boundary: Float
    let slope: Float, intercept: Float, low: Float, high: Float
    let c3: Float, c2: Float, c1: Float, c0: Float

    init(devices: Int, gMax: Double) {
        let fit = HermesNoiseFit(devices: devices)
        inverseGMax = Float(1 / gMax)
        // The slope of the natural logarithm, applied to the base-2 one.
        (slope, intercept, low, high) = (Float(fit.slope * M_LN2), Float(fit.intercept), Float(fit.low), Float(fit.high))
        (c3, c2, c1, c0) = (Float(fit.c3), Float(fit.c2), Float(fit.c1), Float(fit.c0))
        var boundary = Float(fit.boundary * gMax)
        while boundary > 0 && Double(boundary.nextDown) / gMax >= fit.boundary { boundary = boundary.nextDown }
        while Double(boundary) / gMax < fit.boundary { boundary = boundary.nextUp }
        self.boundary = boundary
    }

    @inline(__always) func callAsFunction(_ g: Float) -> Float {
        let magnitude = g.magnitude
        let gr = magnitude * inverseGMax
        let logarithmic = min(max(slope * FastMath.log2(max(gr, 1e-30)) + intercept, low), high)
        let cubic = ((c3 * gr + c2) * gr + c1) * gr + c0
        return magnitude < boundary ? logarithmic : cubic
    }
}
