import ACIMCore
import Foundation
import Testing
@testable import ACIMArray

/// The device section of a profile: decoding, defaults and validation.
@Suite struct DeviceConfigTests {
    @Test func decodesModelsCompensationAndAging() throws {
        let json = #"""
            {"model": "reram_cmo", "g_min": "9uS", "g_max": "88.2uS", "reram_acceptance": 2,
             "drift_compensation": "per_column", "aging": {"retention_time": "1e7s", "endurance": 100}}
            """#
        let config = try JSONDecoder().decode(CellDeviceConfig.self, from: Data(json.utf8))
        #expect(config.model == .reramCMO && config.gMin.value == 9e-6 && config.driftCompensation == .perColumn)
        #expect(config.reramAcceptance == 2 && config.hermesDevices == 2)
        #expect(config.aging.retentionTime.value == 1e7 && config.aging.endurance == 100)
        #expect(config.aging.activationEnergy == 1 && config.aging.referenceTemperature.value == 300)
        #expect(config.validate().isEmpty)
        for kind in DeviceModelKind.allCases {
            let decoded = try JSONDecoder().decode(CellDeviceConfig.self, from: Data(#"{"model": "\#(kind.rawValue)"}"#.utf8))
            #expect(decoded.model == kind)
        }
        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(CellDeviceConfig.self, from: Data(#"{"model": "flash"}"#.utf8))
        }
    }

    @Test func validationNamesEveryBadKey() {
        var bad = CellDeviceConfig()
        bad.model = .hermesPCM
        bad.hermesDevices = 3
        bad.reramAcceptance = 0.02
        bad.driftScale = -1
        bad.t0 = Quantity(-1)
        bad.aging.endurance = -2
        bad.aging.stuckProbability = 2
        bad.aging.activationEnergy = 0
        let keys = Set(bad.validate().map { $0.path.joined(separator: ".") })
        #expect(keys == ["hermes_devices", "reram_acceptance", "drift_scale", "t0", "aging.endurance",
                         "aging.stuck_probability", "aging.activation_energy"])
    }

    @Test func fieldsDescribeEveryKey() {
        // Every stored property is declared as a key, each under its own name.
        #expect(Mirror(reflecting: CellDeviceConfig()).children.count == CellDeviceConfig.fields.count)
        #expect(Set(CellDeviceConfig.fields.map(\.key)).count == CellDeviceConfig.fields.count)
        #expect(Mirror(reflecting: CellAgingConfig()).children.count == CellAgingConfig.fields.count)
        #expect(Set(CellAgingConfig.fields.map(\.key)).count == CellAgingConfig.fields.count)
    }
}
