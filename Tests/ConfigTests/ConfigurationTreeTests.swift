import Testing
@testable import Config

@Suite struct ConfigurationTreeTests {
    @Test func environmentSetsNestedKeysCaseInsensitively() throws {
        var tree = ConfigurationTree(["Storage": ["filesystem": ["rootdirectory": "/a"]]])
        try tree.applyEnvironment(["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/b", "REGISTRY_LOG_LEVEL": "warn"])
        #expect(try tree.string("storage.filesystem.rootdirectory") == "/b")
        #expect(try tree.string("log.level") == "warn")
    }

    @Test func aScalarSectionCombinesWithItsKeysWhateverTheOrder() throws {
        var tree = ConfigurationTree()
        try tree.applyEnvironment([
            "REGISTRY_AUTH_HTPASSWD_PATH": "/auth/htpasswd",
            "REGISTRY_AUTH": "htpasswd",
            "REGISTRY_AUTH_HTPASSWD_REALM": "Registry Realm",
        ])
        #expect(try tree.string("auth.htpasswd.path") == "/auth/htpasswd")
        #expect(try tree.string("auth.htpasswd.realm") == "Registry Realm")
    }

    @Test func valuesAreYAMLScalarsAndNumbersIndexLists() throws {
        var tree = ConfigurationTree()
        try tree.applyEnvironment([
            "REGISTRY_LOG_ACCESSLOG_DISABLED": "true",
            "REGISTRY_CATALOG_MAXENTRIES": "50",
            "REGISTRY_NOTIFICATIONS_ENDPOINTS_0_NAME": "first",
            "REGISTRY_NOTIFICATIONS_ENDPOINTS_1_URL": "http://x",
        ])
        #expect(try tree.bool("log.accesslog.disabled") == true)
        #expect(try tree.int("catalog.maxentries") == 50)
        let endpoints = try #require(tree.value("notifications.endpoints") as? [Any])
        #expect(endpoints.count == 2)
        #expect((endpoints[0] as? [String: Any])?["name"] as? String == "first")
        #expect((endpoints[1] as? [String: Any])?["url"] as? String == "http://x")
    }

    @Test(arguments: ["REGISTRY_NOTIFICATIONS_ENDPOINTS_-1_NAME", "REGISTRY_HTTP_HEADERS_X-A_-1", "REGISTRY_NOTIFICATIONS_ENDPOINTS_10000000_NAME"])
    func aListIndexOutOfRangeIsRefusedByTheVariablesName(_ variable: String) {
        var tree = ConfigurationTree(["http": ["headers": ["X-A": ["v"]]]])
        do {
            try tree.applyEnvironment([variable: "a"])
            Issue.record("accepted \(variable)")
        } catch {
            #expect(error.key == variable && error.message.contains("index"))
        }
    }

    @Test func aKeyWrittenTwiceInDifferentCaseIsReadTheSameWayEveryTime() throws {
        // Exact spelling first, then the first in sorted order: never the dictionary's order.
        let tree = ConfigurationTree(["Auth": ["htpasswd": ["path": "/upper"]], "auth": ["htpasswd": ["path": "/lower"]], "LOG": ["level": "warn"], "Log": ["level": "info"]])
        #expect(try tree.string("auth.htpasswd.path") == "/lower")
        #expect(try tree.string("log.level") == "warn")
        var copy = tree
        try copy.applyEnvironment(["REGISTRY_AUTH_HTPASSWD_REALM": "r"])
        #expect(try copy.string("auth.htpasswd.realm") == "r")
        #expect(((copy.root["auth"] as? [String: Any])?["htpasswd"] as? [String: Any])?["realm"] as? String == "r")
    }

    @Test func unknownKeysAreNamedAndOpenSectionsAreNot() {
        let tree = ConfigurationTree([
            "version": 0.1,
            "storage": ["filesystem": ["rootdirectory": "/x", "rootdirectroy": "/typo"], "s3": ["anything": 1]],
            "http": ["headers": ["X-Anything": ["v"]], "adress": ":5000"],
        ])
        #expect(tree.unknownKeys() == ["http.adress", "storage.filesystem.rootdirectroy"])
    }

    @Test func typosInAuthAndTLSAreNamed() {
        // `clientca` for `clientcas` asked no client certificate of anyone, without a word.
        let tree = ConfigurationTree([
            "auth": ["htpasswd": ["realm": "r", "pth": "/x"], "token": ["realm": "r", "service": "s", "issuer": "i", "rootcertbundle": "/b"]],
            "http": ["tls": ["certificate": "/c", "key": "/k", "clientca": ["/ca"], "minimumtsl": "tls1.2", "letsencrypt": ["email": "e", "host": ["h"]]]],
        ])
        #expect(tree.unknownKeys() == ["auth.htpasswd.pth", "http.tls.clientca", "http.tls.letsencrypt.host", "http.tls.minimumtsl"])
    }

    @Test func secretsAreMaskedInTheEffectiveConfiguration() {
        let tree = ConfigurationTree([
            "http": ["secret": "hunter2", "addr": ":5000"],
            "storage": ["s3": ["accesskey": "AKIDSECRET", "secretkey": "SKSECRET", "sessiontoken": "TOKENSECRET", "bucket": "b"]],
        ])
        let yaml = tree.maskedYAML()
        #expect(!yaml.contains("hunter2"))
        #expect(!yaml.contains("AKIDSECRET") && !yaml.contains("SKSECRET") && !yaml.contains("TOKENSECRET"))
        #expect(yaml.contains("********"))
        #expect(yaml.contains(":5000"))
    }

    @Test func goDurationsParse() {
        #expect(GoDuration.parse("168h") == .seconds(168 * 3600))
        #expect(GoDuration.parse("1h30m") == .seconds(5400))
        #expect(GoDuration.parse("500ms") == .milliseconds(500))
        #expect(GoDuration.parse("0") == .zero)
        #expect(GoDuration.parse("10") == nil)
        #expect(GoDuration.parse("soon") == nil)
    }
}
