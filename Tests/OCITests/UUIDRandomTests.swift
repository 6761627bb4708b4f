import Foundation
import OCI
import Testing

@Suite struct UUIDRandomTests {
    /// Upload sessions and token ids are named by these: each must differ, and read as a
    /// version 4 UUID as distribution's do.
    @Test func randomUUIDsAreDistinctVersion4Ids() {
        let ids = (0..<1000).map { _ in UUID.random().uuidString.lowercased() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let characters = Array(id)
            #expect(characters[14] == "4")
            #expect("89ab".contains(characters[19]))
        }
    }
}
