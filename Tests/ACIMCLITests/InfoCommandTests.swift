import ACIMCore
import Testing
@testable import ACIMCLI

@Suite struct InfoCommandTests {
    /// `acim info` says whether the FastEngine's column sums run on the exact integer GEMM, and why not.
    @Test func infoSaysWhichGEMMPathIsInUse() {
        let outcome = acim(["info"])
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.contains("integer GEMM: \(IntegerGEMM.status.description)"))
        #expect(outcome.output.contains(IntegerGEMM.status.isOn ? "exact" : "off ("))
    }
}
