import Testing

/// `acim mvm` with the input, conversion and cell schemes: on the HERMES profile and from the options.
@Suite struct SchemeCommandTests {
    /// HERMES: 256 signed weights per row of unit cells, one pulse-width integration of 127 steps and one
    /// conversion on each of 256 ADCs per MVM: 1 + 127 + 1 + 4 + 1 = 134 cycles of 1 ns.
    @Test func hermesIntegratesOncePerMVM() {
        let outcome = acim(["mvm", "--profile", packageRoot + "/HardwareProfiles/hermes-pcm.yaml", "--batch", "2"])
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.contains("8-bit sign_magnitude inputs, pulse-width (pwm) drive, 1 pass(es) x 1 phases"))
        #expect(outcome.output.contains("mapping     256 rows x 256 outputs on 512 columns"))
        #expect(outcome.output.contains("cycles      268 for 2 vectors (134 per MVM)"))
        // 256 conversions of 2 pJ per MVM.
        #expect(outcome.output.contains("  ADC conversions           512.000    512.000"))
    }

    /// Sign-magnitude inputs halve the conversions of two passes on the default array.
    @Test func signMagnitudeFromTheOptions() {
        let run = { (encoding: String) in
            acim(["mvm", "--profile", defaultProfile, "--no-gating", "--batch", "1", "--input-encoding", encoding]).output
        }
        // Two passes of 7 planes, 256 columns on 32 ADCs: 2 x (7 x (1 + 1 + 8 x 4) + 1) cycles.
        #expect(run("two_pass").contains("cycles      478 for 1 vectors"))
        #expect(run("sign_magnitude").contains("cycles      239 for 1 vectors"))
    }

    @Test func refusedCombinationsSayWhichKey() {
        let outcome = acim(["mvm", "--profile", defaultProfile, "--input-drive", "pwm"])
        #expect(outcome.failure == "invalid periphery.conversion: input_drive pwm integrates one pulse per pass and "
            + "converts once: conversion must be per_mvm (got per_bit_plane)")
        #expect(outcome.exitCode == 1)
        #expect(acim(["mvm", "--profile", defaultProfile, "--differential-cell", "unit_cell"]).failure
            == "invalid array.differential_cell: unit_cell puts G+ and G- on one output column: it needs "
            + "weight_encoding differential and periphery.differential_readout analog")
    }
}
