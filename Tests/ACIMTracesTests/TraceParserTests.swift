import ACIMCore
import ACIMTraces
import Foundation
import Testing

/// The broken-trace corpus: each file with every diagnostic it must produce, in line order, as
/// `"line: message"`. `$DIR` stands for the corpus folder and `$TESTS` for the folder holding it, resolved.
let brokenTraces: [(String, [String])] = [
    ("absurd-count.jsonl", [
        "3: this event runs 200000000 inferences; one event may run at most 100000000",
        "4: this event runs 100000001 inferences; one event may run at most 100000000",
        "5: count: expected an integer >= 1, got 0",
    ]),
    ("absurd-total.jsonl", [
        "13: the trace runs 1100000000 inferences by this event; a trace may run at most 1000000000",
    ]),
    ("bad-durations.jsonl", [
        "3: duration: expected a time > 0 and at most 1000 years, got 0",
        "4: missing required key 'duration'",
        "5: period: expected a time >= 0 and at most 1000 years, got \"-1s\"",
        "6: subtask: expected a subtask such as \"0,1+2,3\" or \"all\", got \"\"",
    ]),
    ("bad-header-values.jsonl", [
        "1: unknown key 'flux' in the header; expected one of format, version, model, profile, data, seed, description",
        "1: seed: expected an integer in 0...18446744073709551615, got -1",
        "1: description: expected a string, got 5",
    ]),
    ("bad-json.jsonl", [
        "3: not valid JSON: unexpected end of file during JSON parse",
    ]),
    ("bad-range.jsonl", [
        "3: inputs: expected a range \"a:b\" of data-set indices with 0 <= a < b, got \"5:3\"",
        "4: inputs: expected a range \"a:b\" of data-set indices with 0 <= a < b, got \"-1:3\"",
        "5: inputs: expected a range \"a:b\" of data-set indices with 0 <= a < b, got \"a:b\"",
        "6: inputs: expected a range such as \"0:100\", a list of indices or the path of a .npy file, got \"digits\"",
        "7: inputs: expected at least one data-set index, got an empty list",
        "8: inputs: expected data-set indices (integers >= 0), got 1.5",
    ]),
    ("empty.jsonl", [
        "0: empty trace: the first line must be a header such as {\"format\": \"acimsim-trace\", \"version\": 1}",
    ]),
    ("escape-dotdot.jsonl", [
        "1: model: '../../../../../../../../../../etc/passwd' resolves to /etc/passwd, outside the trace's folder $DIR "
            + "(no other roots are allowed)",
    ]),
    ("escape-symlink.jsonl", [
        "1: data: 'escape-link.csv' resolves to $TESTS/TraceParserTests.swift, outside the trace's folder $DIR "
            + "(no other roots are allowed)",
    ]),
    ("garbled-time.jsonl", [
        "3: t: invalid quantity \"3 days\": expected a time such as \"1.5ns\" (units: ps, ns, us, ms, s, ks, Ms, Gs, d, h, min, w, week, y)",
        "4: t: invalid quantity \"soon\": expected a time such as \"1.5ns\" (units: ps, ns, us, ms, s, ks, Ms, Gs, d, h, min, w, week, y)",
        "5: t: invalid quantity \"nan\": expected a time such as \"1.5ns\" (units: ps, ns, us, ms, s, ks, Ms, Gs, d, h, min, w, week, y)",
        "6: t: expected a time such as \"3d\" or a number (in s), got true",
    ]),
    ("header-without-format.jsonl", [
        "1: missing required key 'format'",
    ]),
    // A temperature may precede the deploy; the others may not.
    ("infer-before-deploy.jsonl", [
        "3: 'infer' before the network is deployed: a 'deploy' event must come first",
        "4: 'subtask' before the network is deployed: a 'deploy' event must come first",
    ]),
    ("labels-without-npy.jsonl", [
        "3: labels: only inputs from a .npy file take labels (the data set has its own)",
        "4: labels: expected the path of a .npy file, got \"labels.csv\"",
    ]),
    // Line 3 is blank; line 6 is compared with line 4, the latest time so far.
    ("many-errors.jsonl", [
        "1: unknown key 'modle' in the header (did you mean 'model'?)",
        "4: count: expected an integer >= 1, got -1",
        "5: not valid JSON: invalid value around character 1",
        "6: t: 1 h is before the previous event's time, 2 h at line 4",
        "7: a second 'deploy': a trace deploys the network once (at line 2)",
        "8: value: expected a temperature in 1 K...1000 K, got \"2000K\"",
    ]),
    ("missing-header.jsonl", [
        "1: missing header: the first line must be a header such as {\"format\": \"acimsim-trace\", \"version\": 1}",
    ]),
    ("missing-model.jsonl", [
        "1: model: 'nowhere.safetensors': no such file",
        "1: data: '.': is a directory, not a file",
    ]),
    ("missing-npy.jsonl", [
        "3: inputs: 'images.npy': no such file",
    ]),
    ("negative-time.jsonl", [
        "3: t: expected a time >= 0 and at most 1000 years, got \"-3h\"",
        "4: t: expected a time >= 0 and at most 1000 years, got -5",
    ]),
    ("no-deploy.jsonl", [
        "0: no 'deploy' event: a trace deploys the network once, before its first inference",
    ]),
    ("non-object-line.jsonl", [
        "3: expected a JSON object on each line, got a list",
        "4: expected a JSON object on each line, got 42",
        "5: expected a JSON object on each line, got \"maintain\"",
    ]),
    ("temperature-out-of-range.jsonl", [
        "3: value: expected a temperature in 1 K...1000 K, got \"800C\"",
        "4: value: expected a temperature in 1 K...1000 K, got 0",
        "5: value: invalid quantity \"300uS\": expected a temperature such as \"1.5K\" (units: K, C)",
        "6: ramp: expected a time >= 0 and at most 1000 years, got \"-1h\"",
        "7: missing required key 'value'",
    ]),
    ("time-backwards.jsonl", [
        "4: t: 1 h is before the previous event's time, 1 d at line 3",
    ]),
    ("time-past-limit.jsonl", [
        "3: t: expected a time >= 0 and at most 1000 years, got \"1001y\"",
    ]),
    ("two-deploys.jsonl", [
        "3: a second 'deploy': a trace deploys the network once (at line 2)",
    ]),
    ("unknown-event.jsonl", [
        "3: event: unknown event 'infere' (did you mean 'infer'?)",
        "4: event: unknown event 'reboot'; expected one of deploy, infer, subtask, temperature, maintain, idle",
    ]),
    ("unknown-key.jsonl", [
        "1: unknown key 'profle' in the header (did you mean 'profile'?)",
        "3: unknown key 'input' in the 'infer' event (did you mean 'inputs'?)",
        "3: missing required key 'inputs'",
        "4: unknown key 'flux' in the 'idle' event; expected one of t, event, duration",
    ]),
    ("wrong-format.jsonl", [
        "1: format: expected \"acimsim-trace\", got \"acim-trace\"",
        "1: version: expected 1, got \"1\"",
    ]),
    ("wrong-version.jsonl", [
        "1: version: unsupported version 2; this acimsim reads version 1",
    ]),
]

/// The diagnostics of a trace that must fail, as `"line: message"`.
func failures(_ load: () throws -> Trace) throws -> [String] {
    let error = try #require(throws: TraceError.self) { try load() }
    return error.diagnostics.map { "\($0.line): \($0.message)" }
}

@Suite struct BrokenTraceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("BrokenTraces").resolvingSymlinksInPath()

    @Test func corpusCoversEveryBrokenTrace() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        #expect(files == brokenTraces.map(\.0).sorted())
        #expect(files.count >= 15)
    }

    @Test(arguments: brokenTraces.map(\.0))
    func brokenTraceReportsExpectedDiagnostics(_ name: String) throws {
        let expected = try #require(brokenTraces.first { $0.0 == name }?.1).map {
            $0.replacingOccurrences(of: "$DIR", with: Self.directory.path)
                .replacingOccurrences(of: "$TESTS", with: Self.directory.deletingLastPathComponent().path)
        }
        let path = Self.directory.appendingPathComponent(name).path
        let error = try #require(throws: TraceError.self) { try TraceParser.load(path: path, allowedRoots: []) }
        #expect(error.diagnostics.map { "\($0.line): \($0.message)" } == expected)
        // Each diagnostic names the file and quotes its line under it, indented by four spaces.
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        for diagnostic in error.diagnostics {
            #expect(diagnostic.path == path)
            let source = diagnostic.line > 0 ? String(lines[diagnostic.line - 1]) : ""
            #expect(diagnostic.source == source)
            let rendered = diagnostic.line > 0 ? "\(path):\(diagnostic.line): error: \(diagnostic.message)\n    \(source)"
                : "\(path): error: \(diagnostic.message)"
            #expect(diagnostic.description == rendered)
        }
        #expect(error.description == error.diagnostics.map(\.description).joined(separator: "\n"))
    }
}

/// Each test gets a fresh folder under the system's temporary folder, removed when the test ends.
@Suite final class TraceParserTests {
    /// The test's folder, resolved as the parser reports paths.
    let root: URL

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("acimsim-traces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        root = base.resolvingSymlinksInPath()
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes `files` (path relative to `root`: contents) into the test's folder.
    func write(_ files: [String: String]) throws {
        for (name, text) in files {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }
    static let validTrace = """
        {"format": "acimsim-trace", "version": 1, "model": "../Models/m.safetensors", "profile": "../HardwareProfiles/p.yaml", "data": "../Data/d.csv", "seed": 7, "description": "a year of digits"}
        {"t": 0, "event": "temperature", "value": "25C"}
        {"t": 0, "event": "deploy"}

        {"t": "3", "event": "maintain"}
        {"t": "90s", "event": "infer", "inputs": "0:100"}
        {"t": "1h", "event": "infer", "inputs": [3, 1, 4], "count": 10, "period": "1ms", "subtask": "0,1+2,3"}
        {"t": "1d", "event": "infer", "inputs": "inputs/x.npy", "labels": "inputs/y.npy"}
        {"t": "1d", "event": "infer", "inputs": "inputs/x.npy", "count": 5}
        {"t": "1d", "event": "subtask", "subtask": "all"}
        {"t": "1week", "event": "temperature", "value": 358, "ramp": "2h"}
        {"t": 2592000, "event": "maintain"}
        {"t": "1y", "event": "idle", "duration": "1d"}

        """

    /// The valid trace in `traces/` and the files it names.
    func writeValidTree() throws {
        try write([
            "Models/m.safetensors": "weights", "HardwareProfiles/p.yaml": "name: p\n", "Data/d.csv": "x,label\n",
            "traces/inputs/x.npy": "images", "traces/inputs/y.npy": "labels", "traces/year.jsonl": Self.validTrace,
        ])
    }

    @Test func validTraceParsesToTheExactTrace() throws {
        try writeValidTree()
        let path = root.appendingPathComponent("traces/year.jsonl").path
        let trace = try TraceParser.load(path: path, allowedRoots: [root.path])
        let inputs = root.appendingPathComponent("traces/inputs").path
        let expected = Trace(
            path: path,
            header: Trace.Header(version: 1, model: root.path + "/Models/m.safetensors",
                                 profile: root.path + "/HardwareProfiles/p.yaml", data: root.path + "/Data/d.csv",
                                 seed: 7, description: "a year of digits"),
            events: [
                TimedEvent(line: 2, time: 0, event: .temperature(kelvin: 25 + 273.15, ramp: 0)),
                TimedEvent(line: 3, time: 0, event: .deploy),
                TimedEvent(line: 5, time: 3, event: .maintain),
                TimedEvent(line: 6, time: 90, event: .infer(Inference(inputs: .range(0..<100), count: 100))),
                TimedEvent(line: 7, time: 3600, event: .infer(Inference(
                    inputs: .indices([3, 1, 4]), count: 10, period: 0.001, subtask: "0,1+2,3"))),
                TimedEvent(line: 8, time: 86_400, event: .infer(Inference(
                    inputs: .file(images: inputs + "/x.npy", labels: inputs + "/y.npy"), count: 0))),
                TimedEvent(line: 9, time: 86_400, event: .infer(Inference(
                    inputs: .file(images: inputs + "/x.npy", labels: nil), count: 5))),
                TimedEvent(line: 10, time: 86_400, event: .subtask("all")),
                TimedEvent(line: 11, time: 7 * 86_400, event: .temperature(kelvin: 358, ramp: 7200)),
                TimedEvent(line: 12, time: 30 * 86_400, event: .maintain),
                TimedEvent(line: 13, time: 365 * 86_400, event: .idle(duration: 86_400)),
            ])
        #expect(trace == expected)
    }

    @Test func headerDefaultsAndCarriageReturns() throws {
        let text = "{\"format\": \"acimsim-trace\", \"version\": 1}\r\n\r\n  \r\n{\"t\": 1.5, \"event\": \"deploy\"}\r\n"
        let trace = try TraceParser.parse(text, path: "/nowhere/t.jsonl", allowedRoots: [])
        #expect(trace.header == Trace.Header(version: 1, model: nil, profile: nil, data: nil, seed: 1, description: nil))
        #expect(trace.events == [TimedEvent(line: 4, time: 1.5, event: .deploy)])
    }

    @Test func pathsOutsideTheTraceFolderNeedAnAllowedRoot() throws {
        try writeValidTree()
        let path = root.appendingPathComponent("traces/year.jsonl").path
        let outside = "outside the trace's folder \(root.path)/traces (no other roots are allowed)"
        #expect(try failures { try TraceParser.load(path: path, allowedRoots: []) } == [
            "1: model: '../Models/m.safetensors' resolves to \(root.path)/Models/m.safetensors, \(outside)",
            "1: profile: '../HardwareProfiles/p.yaml' resolves to \(root.path)/HardwareProfiles/p.yaml, \(outside)",
            "1: data: '../Data/d.csv' resolves to \(root.path)/Data/d.csv, \(outside)",
        ])
        // Another root lets only its own files through, and is named in the message.
        let models = root.appendingPathComponent("Models").path
        let diagnostics = try failures { try TraceParser.load(path: path, allowedRoots: [models]) }
        #expect(diagnostics.count == 2)
        #expect(diagnostics.allSatisfy { $0.hasSuffix("outside the trace's folder \(root.path)/traces and the allowed roots \(models)") })
    }

    @Test func absolutePathsAndSymbolicLinksIntoAnAllowedRootPass() throws {
        try write(["Models/m.safetensors": "weights", "traces/t.jsonl": ""])
        let model = root.appendingPathComponent("Models/m.safetensors").path
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("traces/link.safetensors").path,
                                                   withDestinationPath: "../Models/m.safetensors")
        let path = root.appendingPathComponent("traces/t.jsonl").path
        for given in [model, "link.safetensors", "./../traces/../Models/m.safetensors"] {
            let text = "{\"format\": \"acimsim-trace\", \"version\": 1, \"model\": \"\(given)\"}\n{\"t\": 0, \"event\": \"deploy\"}"
            #expect(try TraceParser.parse(text, path: path, allowedRoots: [root.appendingPathComponent("Models").path])
                .header.model == model)
            #expect(try failures { try TraceParser.parse(text, path: path, allowedRoots: []) }.count == 1)
        }
    }

    @Test func aLineOverOneMebibyteIsRefused() throws {
        let long = "{\"t\": 0, \"event\": \"maintain\", \"pad\": \"" + String(repeating: "x", count: 1 << 20) + "\"}"
        let text = "{\"format\": \"acimsim-trace\", \"version\": 1}\n{\"t\": 0, \"event\": \"deploy\"}\n" + long
        let error = try #require(throws: TraceError.self) { try TraceParser.parse(text, path: "t.jsonl", allowedRoots: []) }
        #expect(error.diagnostics.map(\.message) == ["the line is 1.00 MiB; a trace line may be at most 1 MiB"])
        #expect(error.diagnostics[0].line == 3)
        #expect(error.diagnostics[0].source == String(long.prefix(197)) + "...")
        #expect(error.diagnostics[0].source.count == 200)
    }

    @Test func aFileOver64MebibytesIsRefusedBeforeReading() throws {
        try write(["big.jsonl": ""])
        let path = root.appendingPathComponent("big.jsonl").path
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 100 << 20)  // sparse: no 100 MiB written
        try handle.close()
        #expect(try failures { try TraceParser.load(path: path, allowedRoots: []) } == [
            "0: the file is 100 MiB; a trace file may be at most 64 MiB",
        ])
        let error = try #require(throws: TraceError.self) { try TraceParser.load(path: path, allowedRoots: []) }
        #expect(error.description == "\(path): error: the file is 100 MiB; a trace file may be at most 64 MiB")
    }

    @Test func aMissingTraceFileIsNamed() throws {
        let path = root.appendingPathComponent("none.jsonl").path
        #expect(try failures { try TraceParser.load(path: path, allowedRoots: []) } == ["0: no such file"])
    }

    @Test func errorsComeInLineOrderWithTheirSourceLines() throws {
        let text = """
            {"format": "acimsim-trace", "version": 1}
            {"t": "1h", "event": "deploy"}
            {"t": 60, "event": "maintain"}
            {"t": "2h", "event": "idle", "duration": "-1h"}
            """
        let error = try #require(throws: TraceError.self) { try TraceParser.parse(text, path: "year.jsonl", allowedRoots: []) }
        #expect(error.description == """
            year.jsonl:3: error: t: 1 min is before the previous event's time, 1 h at line 2
                {"t": 60, "event": "maintain"}
            year.jsonl:4: error: duration: expected a time > 0 and at most 1000 years, got "-1h"
                {"t": "2h", "event": "idle", "duration": "-1h"}
            """)
    }

    @Test func knownCountIsTheNumberOfInputsSelected() {
        #expect(InputSelection.range(5..<12).knownCount == 7)
        #expect(InputSelection.indices([9, 9, 2]).knownCount == 3)
        #expect(InputSelection.file(images: "/x.npy", labels: nil).knownCount == nil)
    }
}
