import Foundation
import Testing
@testable import Index

@Suite struct IndexClockTests {
    /// What Foundation's RFC 3339 formatter writes, the format the API always answered in.
    static func foundation(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    @Test(arguments: [
        Int64(0), 1, 999, 1_000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 1_709_164_800_123,
        1_796_395_961_277, 4_102_444_800_000, 253_402_300_799_999, -1, -86_400_000,
    ])
    func timesFormatAsFoundationFormatsThem(_ milliseconds: Int64) {
        #expect(IndexClock.format(milliseconds) == Self.foundation(milliseconds))
    }

    @Test func aSpreadOfTimesFormatsAsFoundationFormatsThem() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let milliseconds = Int64.random(in: 0...4_102_444_800_000, using: &generator)
            #expect(IndexClock.format(milliseconds) == Self.foundation(milliseconds))
        }
    }
}
