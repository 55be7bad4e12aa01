import ACIMNetwork
import ArgumentParser

/// The input scaling a written model declares (`--input-scale`, `--input-offset`): per channel,
/// `x * scale + offset` on the raw inputs.
struct PreprocessingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Preprocessing the model declares: scale of the raw inputs, one value or one per channel, e.g. 0.0625 for pixels 0...16 to [0, 1] (default: the command's).")
    var inputScale: String?
    @Option(parsing: .unconditional, help: "Preprocessing the model declares: offset added after the scale, one value or one per channel (default: 0).")
    var inputOffset: String?

    /// The options' preprocessing for inputs of `inputShape`, `standard` where neither option is given.
    func preprocessing(inputShape: [Int], standard: Preprocessing) throws -> Preprocessing {
        guard inputScale != nil || inputOffset != nil else { return standard }
        let preprocessing = Preprocessing(scale: try Self.values(inputScale ?? "1", "--input-scale"),
                                          offset: try Self.values(inputOffset ?? "0", "--input-offset"))
        do { try preprocessing.check(inputShape: inputShape) } catch { throw CLIError("--input-scale/--input-offset: \(error)") }
        return preprocessing
    }

    /// The options as given, for a command line in a model's notes.
    var arguments: String {
        [inputScale.map { " --input-scale \($0)" }, inputOffset.map { " --input-offset \($0)" }].compactMap { $0 }.joined()
    }

    private static func values(_ text: String, _ option: String) throws -> [Float] {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Float($0) }
        guard !values.isEmpty, values.allSatisfy({ $0?.isFinite == true }) else {
            throw CLIError("\(option) \(text): expected finite numbers separated by commas")
        }
        return values.compactMap { $0 }
    }
}
