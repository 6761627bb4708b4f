@testable import Registry
import Testing

@Suite struct MetadataCacheTests {
    @Test func expiredFactsAboutEverNewKeysDoNotAccumulate() async throws {
        let cache = MetadataCache<String, Bool>(maximumCost: 100_000, lifetime: .milliseconds(20))
        for round in 0..<5 {
            for i in 0..<3000 { cache.put("repo@digest-\(round)-\(i)", true) }
            try await Task.sleep(for: .milliseconds(40))
        }
        // Without sweeping, all 15,000 would be held until the bound.
        #expect(cache.count < 7000)
        cache.put("fresh", true)
        #expect(cache.get("fresh") == true)
    }

    @Test func immutableEntriesStayUntilTheBound() {
        let cache = MetadataCache<String, Int>(maximumCost: 5000, lifetime: nil)
        for i in 0..<4000 { cache.put("key-\(i)", i) }
        #expect(cache.count == 4000)
        #expect(cache.get("key-0") == 0 && cache.get("key-3999") == 3999)
        for i in 4000..<6000 { cache.put("key-\(i)", i) }
        #expect(cache.count == 5000)
    }
}
