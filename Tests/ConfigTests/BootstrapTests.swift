import Testing
@testable import Config

/// Where a relative storage root lands: under the directory Pier started in, written as a
/// path a person reads (the start-up log shows it).
@Suite struct BootstrapTests {
    @Test(arguments: [
        ("./data", "/", "/data"),
        ("data", "/", "/data"),
        ("./data", "/srv/pier", "/srv/pier/data"),
        ("././data/x", "/srv/pier/", "/srv/pier/data/x"),
        ("/var/lib/registry", "/srv", "/var/lib/registry"),
        (".", "/srv", "/srv"),
        (".", "/", "/"),
    ])
    func aRelativeRootIsResolvedAgainstTheWorkingDirectory(_ root: String, _ directory: String, _ expected: String) {
        #expect(Bootstrap.absolute(root, in: directory) == expected)
    }
}
