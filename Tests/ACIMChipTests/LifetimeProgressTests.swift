import ACIMArray
import ACIMChip
import ACIMCore
import Testing

@Suite struct LifetimeProgressTests {
    /// A lifetime study reports every check it advances through and every point as it is measured, in time
    /// order; the points reported are the points returned.
    @Test func reportsChecksAndPointsInOrder() throws {
        var crossbar = CrossbarConfig()
        crossbar.array.rows = 16
        crossbar.array.cols = 16
        crossbar.device.model = .pcm
        var controller = DeviceControllerConfig()
        controller.checkInterval = Quantity(86_400)
        let study = LifetimeStudy(crossbar: crossbar, controller: controller, schedule: [3600, 3 * 86_400],
                                  seed: 2, batch: 2, clock: 1e9, temperature: 300)
        var offReports: [LifetimeStudy.Progress] = []
        let off = try study.uncontrolled { offReports.append($0) }
        #expect(offReports.map(\.time) == [3600, 3 * 86_400])
        #expect(offReports.compactMap(\.point) == off)

        var onReports: [LifetimeStudy.Progress] = []
        let on = try study.controlled { onReports.append($0) }
        #expect(onReports.map(\.time) == [3600, 86_400, 2 * 86_400, 3 * 86_400])
        #expect(onReports.map { $0.point != nil } == [true, false, false, true])
        #expect(onReports.compactMap(\.point) == on)
    }
}
