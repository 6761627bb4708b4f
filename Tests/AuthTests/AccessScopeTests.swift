import Testing
@testable import Auth

@Suite struct AccessScopeTests {
    @Test func parsesTypeNameAndActions() throws {
        let scope = try #require(AccessScope(parsing: "repository:team/app:pull,push"))
        #expect(scope.type == "repository" && scope.name == "team/app" && scope.actions == ["pull", "push"])
        #expect(scope.knownActions == [.pull, .push])
        #expect(scope.description == "repository:team/app:pull,push")
    }

    @Test func aNameWithARegistryPortKeepsItsColon() throws {
        let scope = try #require(AccessScope(parsing: "repository:localhost:5000/app:pull"))
        #expect(scope.name == "localhost:5000/app")
    }

    @Test func aResourceClassIsDroppedFromTheType() throws {
        let scope = try #require(AccessScope(parsing: "repository(plugin):app:pull"))
        #expect(scope.type == "repository")
    }

    @Test func malformedScopesAreNil() {
        #expect(AccessScope(parsing: "repository") == nil)
        #expect(AccessScope(parsing: "repository:pull") == nil)
        #expect(AccessScope.parseList("repository:a:pull  registry:catalog:*").count == 2)
    }
}
