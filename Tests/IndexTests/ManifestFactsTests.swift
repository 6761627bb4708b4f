import Testing
@testable import Index

@Suite struct ManifestFactsTests {
    /// Go writes `created` with nanoseconds; buildkit's reproducible builds write 1970.
    @Test(arguments: [
        ("2026-03-01T12:30:45.123456789Z", Int64(1_772_368_245_123)),
        ("2026-03-01T12:30:45Z", Int64(1_772_368_245_000)),
        ("2026-03-01T13:30:45.5+01:00", Int64(1_772_368_245_500)),
        ("1970-01-01T00:00:00Z", Int64(0)),
    ])
    func aConfigsCreatedTimeIsReadToTheMillisecond(_ text: String, _ expected: Int64) {
        #expect(ManifestFacts.milliseconds(text) == expected)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00Z"])
    func aTimeThatIsNoneIsLeftOut(_ text: String) {
        #expect(ManifestFacts.milliseconds(text) == nil)
    }
}
