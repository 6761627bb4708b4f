import Foundation
import Logging
import Testing
@testable import Config
import S3

@Suite struct PierConfigurationTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pier-config-\(UUID().uuidString).yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func embeddedDefaultServesDataOnPort5000WithDeletes() throws {
        let config = try PierConfiguration.load(path: nil, environment: [:])
        #expect(config.storageRoot == "./data")
        #expect(config.port == 5000)
        #expect(config.host == PierConfiguration.anyAddress)
        #expect(config.deleteEnabled)
    }

    @Test func aFileNamingTheFilesystemDriverWithoutARootKeepsDistributionsDirectory() throws {
        let bare = try PierConfiguration.load(yaml: "version: 0.1\nstorage:\n  filesystem: {}\n", source: "config.yml", environment: [:])
        #expect(bare.storageRoot == "/var/lib/registry")
        // What lives under the root by default follows it (the token server's key).
        let tokens = try PierConfiguration.load(
            yaml: """
                version: 0.1
                storage:
                  filesystem: {}
                auth:
                  token: {realm: "https://registry.example.com/token", service: registry, issuer: pier}
                tokenserver:
                  htpasswd: /etc/pier/htpasswd
                """,
            source: "config.yml", environment: [:]
        )
        #expect(tokens.tokenServer?.key == "/var/lib/registry/pier/token.key")
        let byEnvironment = try PierConfiguration.load(yaml: "version: 0.1\nstorage:\n  filesystem: {}\n", source: "config.yml",
                                                       environment: ["REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/srv/registry"])
        #expect(byEnvironment.storageRoot == "/srv/registry")
        // A file without a storage section (which distribution refuses) keeps the embedded default.
        let none = try PierConfiguration.load(yaml: "version: 0.1\nhttp:\n  addr: :5000\n", source: "config.yml", environment: [:])
        #expect(none.storageRoot == "./data")
    }

    @Test func anEmptyEnvironmentOverrideChangesNothingAsInDistribution() throws {
        let yaml = "version: 0.1\nlog:\n  level: debug\nstorage:\n  filesystem:\n    rootdirectory: /srv/r\n  delete:\n    enabled: true\n"
        let config = try PierConfiguration.load(yaml: yaml, source: "config.yml", environment: [
            "REGISTRY_LOG_LEVEL": "", "REGISTRY_LOG_FORMATTER": "", "REGISTRY_STORAGE_DELETE_ENABLED": " ",
            "REGISTRY_PROXY_REMOTEURL": "", "REGISTRY_AUTH": "", "REGISTRY_HTTP_TLS_CERTIFICATE": "", "REGISTRY_NOTIFICATIONS_ENDPOINTS": "",
        ])
        #expect(config.logLevel == .debug)
        #expect(config.deleteEnabled)
        #expect(config.storageRoot == "/srv/r")
    }

    @Test func aBareNumberInDistributionsDurationsIsNanosecondsAsGoReadsIt() throws {
        let config = try PierConfiguration.load(path: try file("http:\n  draintimeout: 5000000000\n"), environment: [:])
        #expect(config.drainTimeout == .seconds(5))
    }

    @Test func aBarePortBindsEveryAddressAndAGivenOneOnlyThat() throws {
        // Which families "every address" takes is shown end to end (test_configuration.py).
        for (addr, host, port) in [(":5000", PierConfiguration.anyAddress, 5000), ("0.0.0.0:5000", "0.0.0.0", 5000), ("[::1]:80", "::1", 80)] {
            let parsed = try PierConfiguration.parseAddress(addr, key: "http.addr")
            #expect(parsed.host == host && parsed.port == port, "\(addr)")
        }
    }

    /// Found by `pier-fuzz-config`: Yams force-unwraps mapping keys as strings, so a complex
    /// key crashed the process where a configuration error was due.
    @Test(arguments: [
        ("? {service: registry}\n: x\n", Optional<String>.none),
        ("storage:\n  ? [a, b]\n  : x\n", Optional("storage")),
        ("notifications:\n  endpoints:\n    - ? {a: 1}\n      : y\n", Optional("notifications.endpoints")),
    ])
    func complexMappingKeysAreAConfigurationErrorNotACrash(yaml: String, key: String?) {
        do {
            _ = try PierConfiguration.load(yaml: yaml, source: "config.yml", environment: [:])
            Issue.record("loaded")
        } catch {
            #expect(error.key == key)
            #expect(error.message.contains("not a plain value"))
        }
    }

    @Test func readsDistributionConfigFile() throws {
        let path = try file("""
            version: 0.1
            log:
              level: debug
              formatter: json
              fields:
                service: registry
            storage:
              filesystem:
                rootdirectory: /var/lib/registry
              delete:
                enabled: true
              cache:
                blobdescriptor: inmemory
            http:
              addr: 127.0.0.1:5001
              headers:
                X-Content-Type-Options: [nosniff]
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        #expect(config.storageRoot == "/var/lib/registry")
        #expect(config.host == "127.0.0.1")
        #expect(config.port == 5001)
        #expect(config.deleteEnabled)
        #expect(config.logLevel == .debug)
        #expect(config.logFormat == .json)
    }

    @Test func readsOperationsSettings() throws {
        let path = try file("""
            version: 0.1
            storage:
              maintenance:
                uploadpurging: {enabled: true, age: 2h, interval: 30m, dryrun: true}
                readonly: {enabled: true}
            http:
              addr: :5000
              prefix: /registry/
              host: https://registry.example.com/
              relativeurls: false
              draintimeout: 60s
              debug: {addr: 127.0.0.1:5001}
              headers:
                X-Content-Type-Options: [nosniff]
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        #expect(config.readOnly)
        #expect(config.uploadPurging == .init(enabled: true, age: .seconds(7200), interval: .seconds(1800), dryRun: true))
        #expect(config.pathPrefix == "/registry")
        #expect(config.externalURL == "https://registry.example.com")
        #expect(config.drainTimeout == .seconds(60))
        #expect(config.debugAddress?.port == 5001)
        #expect(config.responseHeaders.map(\.0) == ["X-Content-Type-Options"])
        #expect(config.unknownKeys.isEmpty)
    }

    @Test func readsNotificationEndpointsWithDistributionDefaults() throws {
        let path = try file("""
            version: 0.1
            notifications:
              endpoints:
                - name: hook
                  url: http://127.0.0.1:9000/events
                  headers: {Authorization: [Bearer x]}
                  timeout: 500ms
                  threshold: 5
                  backoff: 2s
                  ignoredmediatypes: [application/octet-stream]
                  ignore: {actions: [pull]}
                - name: off
                  url: http://127.0.0.1:9001/
                  disabled: true
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        #expect(config.notificationEndpoints.map(\.name) == ["hook"])
        let hook = try #require(config.notificationEndpoints.first)
        #expect(hook.timeout == .milliseconds(500) && hook.threshold == 5 && hook.backoff == .seconds(2))
        #expect(hook.ignoredMediaTypes == ["application/octet-stream"] && hook.ignoredActions == ["pull"])
        #expect(hook.mediaType == "application/vnd.docker.distribution.events.v1+json")
        #expect(config.unknownKeys.isEmpty)
        #expect(!config.effectiveYAML.contains("Bearer x"))
        #expect(config.effectiveYAML.contains("version: '0.1'"))
    }

    @Test func anEndpointsZeroTimeoutBackoffOrThresholdIsDistributionsDefaultAndItsSecretsAreMasked() throws {
        let path = try file("""
            version: 0.1
            notifications:
              endpoints:
                - name: hook
                  url: http://bot:hunter2@127.0.0.1:9000/events
                  headers: {X-Api-Key: [k3y-value]}
                  timeout: 0s
                  threshold: 0
                  backoff: 0s
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        let hook = try #require(config.notificationEndpoints.first)
        // A 0 s timeout failed every delivery; a 0 s backoff retried in a tight loop.
        #expect(hook.timeout == .seconds(1) && hook.threshold == 10 && hook.backoff == .seconds(1))
        #expect(!config.effectiveYAML.contains("hunter2") && !config.effectiveYAML.contains("k3y-value"))
        #expect(config.effectiveYAML.contains("127.0.0.1:9000/events"))
    }

    @Test func theFileRegistryConfigurationPathNamesIsReadWhenNoneIsGiven() throws {
        let path = try file("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /srv/registry\n")
        let config = try PierConfiguration.load(path: nil, environment: ["REGISTRY_CONFIGURATION_PATH": path])
        #expect(config.storageRoot == "/srv/registry")
        #expect(!config.deleteEnabled)
        #expect(try PierConfiguration.load(path: nil, environment: ["REGISTRY_CONFIGURATION_PATH": ""]).storageRoot == "./data")
        #expect(throws: ConfigurationError.self) {
            try PierConfiguration.load(path: nil, environment: ["REGISTRY_CONFIGURATION_PATH": "/nonexistent/config.yml"])
        }
    }

    @Test func deletesAreOffInAFileThatDoesNotMentionThem() throws {
        let path = try file("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /x\n")
        #expect(try PierConfiguration.load(path: path, environment: [:]).deleteEnabled == false)
    }

    @Test func environmentOverridesFollowDistributionRules() throws {
        let path = try file("version: 0.1\nhttp:\n  addr: :5000\n")
        let config = try PierConfiguration.load(path: path, environment: [
            "REGISTRY_HTTP_ADDR": ":6000",
            "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/srv/registry",
            "REGISTRY_STORAGE_DELETE_ENABLED": "true",
            "OTHER": "x",
        ])
        #expect(config.port == 6000)
        #expect(config.storageRoot == "/srv/registry")
        #expect(config.deleteEnabled)
    }

    @Test(arguments: [
        ("http:\n  addr: nowhere\n", "http.addr"),
        ("storage:\n  delete:\n    enabled: maybe\n", "storage.delete.enabled"),
        ("log:\n  level: loud\n", "log.level"),
        ("auth:\n  htpasswd:\n    realm: r\n", "auth.htpasswd.path"),
        ("auth:\n  htpasswd:\n    path: /p\n  token:\n    realm: r\n", "auth"),
        ("auth:\n  token:\n    realm: http://x/token\n    service: s\n    issuer: i\n", "auth.token.rootcertbundle"),
        ("http:\n  tls:\n    certificate: /c\n", "http.tls"),
        ("http:\n  tls:\n    certificate: /c\n    key: /k\n    minimumtls: tls9\n", "http.tls.minimumtls"),
        ("http:\n  tls:\n    certificate: /c\n    key: /k\n    ciphersuites: [TLS_FAST]\n", "http.tls.ciphersuites"),
        ("http:\n  plain:\n    addr: :80\n", "http.plain"),
        ("http:\n  tls:\n    certificate: /c\n    key: /k\n    clientcas: [/ca]\n  plain:\n    addr: :80\n", "http.plain"),
        ("auth:\n  token:\n    realm: http://x/token\n    service: s\n    issuer: i\n    signingalgorithms: [RS256]\ntokenserver:\n  htpasswd: /h\n", "auth.token.signingalgorithms"),
        ("access:\n  rules:\n    - repository: x\n      actions: [fly]\n", "access.rules[0].actions"),
        ("access:\n  rules:\n    - actions: [pull]\n", "access.rules[0].repository"),
        ("storage:\n  maintenance:\n    uploadpurging:\n      age: soon\n", "storage.maintenance.uploadpurging.age"),
        ("http:\n  net: udp\n", "http.net"),
        ("http:\n  prefix: registry\n", "http.prefix"),
        ("version: 0.2\n", "version"),
        ("storage:\n  s3:\n    accesskey: a\n    secretkey: b\n", "storage.s3.bucket"),
        ("storage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: b\n    chunksize: 1024\n", "storage.s3.chunksize"),
        ("storage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: b\n    chunksize: 5368709121\n", "storage.s3.chunksize"),
        ("storage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: b\n    multipartcopychunksize: 6442450944\n", "storage.s3.multipartcopychunksize"),
        ("storage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: b\n    multipartcopythresholdsize: 5368709121\n", "storage.s3.multipartcopythresholdsize"),
        ("storage:\n  s3:\n    bucket: b\n    accesskey: a\n    secretkey: b\n    regionendpoint: ftp://x\n", "storage.s3.regionendpoint"),
        ("storage:\n  filesystem:\n    rootdirectory: /x\n  s3:\n    bucket: b\n", "storage"),
        // A driver Pier has not stops the start in every way it can be written, rather than
        // leaving pushes under ./data.
        ("storage:\n  azure:\n    accountname: a\n    accountkey: k\n    container: c\n", "storage.azure"),
        ("storage:\n  gcs:\n    bucket: b\n", "storage.gcs"),
        ("storage:\n  inmemory:\n", "storage.inmemory"),
        ("storage: swift\n", "storage.swift"),
        ("storage: s3\n", "storage.s3.bucket"),
        ("storage:\n  s3aws:\n    bucket: b\n", "storage.s3aws"),
        ("storage: s3aw\n", "storage.s3aw"),
        // A misspelt driver is a driver Pier has not, as in distribution, not a warning
        // about an unknown key and pushes under ./data.
        ("storage:\n  filesytem:\n    rootdirectory: /x\n  delete:\n    enabled: true\n", "storage.filesytem"),
        // A section written as a plain value is refused as distribution refuses it, not
        // read as absent: `readonly: true` left the registry writable.
        ("storage:\n  filesystem:\n    rootdirectory: /x\n  maintenance:\n    readonly: true\n", "storage.maintenance.readonly"),
        ("storage:\n  filesystem:\n    rootdirectory: /x\n  delete: true\n", "storage.delete"),
        ("storage:\n  filesystem: /srv/data\n", "storage.filesystem"),
        ("http: \"127.0.0.1:5000\"\n", "http"),
        ("log: debug\n", "log"),
        ("auth: htpasswd\n", "auth.htpasswd"),
        ("notifications:\n  endpoints:\n    - name: a\n      url: http://x\n      headers: []\n      threshold: 1\n      backoff: 1s\n      ignore: nope\n", "notifications.endpoints[].ignore"),
        // A bare number in Pier's own durations, and in those distribution reads as text,
        // means hours or seconds to whoever wrote it, never nanoseconds.
        ("gc:\n  interval: 24\n", "gc.interval"),
        ("storage:\n  maintenance:\n    uploadpurging:\n      enabled: true\n      age: 168\n", "storage.maintenance.uploadpurging.age"),
        ("http:\n  timeouts:\n    idle: 60\n", "http.timeouts.idle"),
        // Rules without auth would hold nothing: every request is anonymous and may do all.
        ("access:\n  rules:\n    - repository: \"public/**\"\n      anonymous: true\n      actions: [pull]\n", "access"),
        ("auht:\n  htpasswd:\n    realm: r\n    path: /x\n\naccess:\n  admins: [root]\n", "access"),
    ])
    func badValuesNameTheirKey(_ text: String, _ key: String) throws {
        let path = try file(text)
        #expect(throws: ConfigurationError.self) { try PierConfiguration.load(path: path, environment: [:]) }
        do {
            _ = try PierConfiguration.load(path: path, environment: [:])
        } catch {
            #expect(error.key == key)
        }
    }

    @Test func readsS3LikeDistribution() throws {
        let path = try file("""
            storage:
              s3:
                accesskey: AK
                secretkey: SK
                region: eu-west-1
                regionendpoint: 127.0.0.1:8333
                secure: false
                bucket: images
                rootdirectory: /registry/
                chunksize: 6291456
                multipartcopythresholdsize: 67108864
              redirect:
                disable: true
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        let s3 = try #require(config.s3)
        #expect(s3.endpoint == "http://127.0.0.1:8333")
        #expect(s3.pathStyle)
        #expect(s3.region == "eu-west-1")
        #expect(s3.bucket == "images")
        #expect(s3.rootDirectory == "/registry/")
        #expect(s3.chunkSize == 6 << 20)
        #expect(s3.multipartCopyThresholdSize == 64 << 20)
        #expect(s3.multipartCopyChunkSize == 32 << 20)
        #expect(config.redirectDisabled)
    }

    /// distribution refuses part and copy sizes past S3's 5 GiB, saying the bounds.
    @Test(arguments: ["CHUNKSIZE", "MULTIPARTCOPYCHUNKSIZE", "MULTIPARTCOPYTHRESHOLDSIZE"])
    func s3SizesAreAtMostFiveGiBAsInDistribution(_ key: String) throws {
        let environment = ["REGISTRY_STORAGE_S3_BUCKET": "images", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]
        let largest = try PierConfiguration.load(path: nil, environment: environment.merging(["REGISTRY_STORAGE_S3_" + key: "5368709120"]) { $1 })
        let s3 = try #require(largest.s3)
        #expect([Int64(s3.chunkSize), s3.multipartCopyChunkSize, s3.multipartCopyThresholdSize].contains(5 << 30))
        let error = try #require(throws: ConfigurationError.self) {
            try PierConfiguration.load(path: nil, environment: environment.merging(["REGISTRY_STORAGE_S3_" + key: "5368709121"]) { $1 })
        }
        #expect(error.key == "storage.s3." + key.lowercased())
        let minimum = key == "MULTIPARTCOPYTHRESHOLDSIZE" ? 0 : 5 << 20
        #expect(error.message.contains("between \(minimum) and 5368709120"), "\(error.message)")
    }

    @Test func s3TakesAWSEnvironmentCredentialsAndAddressesAWSByHost() throws {
        let config = try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE": "s3",
            "REGISTRY_STORAGE_S3_BUCKET": "images",
            "AWS_ACCESS_KEY_ID": "AK",
            "AWS_SECRET_ACCESS_KEY": "SK",
            "AWS_SESSION_TOKEN": "TOKEN",
            "AWS_REGION": "ap-south-1",
        ])
        let s3 = try #require(config.s3)
        #expect(s3.credentials == .keys(.init(accessKey: "AK", secretKey: "SK", sessionToken: "TOKEN")))
        #expect(s3.endpoint == "https://s3.ap-south-1.amazonaws.com")
        #expect(!s3.pathStyle)
        #expect(!config.redirectDisabled)
    }

    @Test func anUnsupportedDriverNamedByTheEnvironmentStopsTheStart() throws {
        #expect(throws: ConfigurationError.self) {
            try PierConfiguration.load(path: nil, environment: ["REGISTRY_STORAGE": "gcs"])
        }
        #expect(throws: ConfigurationError.self) {
            try PierConfiguration.load(path: nil, environment: ["REGISTRY_STORAGE": "oss", "REGISTRY_STORAGE_OSS_BUCKET": "b"])
        }
        #expect(try PierConfiguration.load(path: nil, environment: ["REGISTRY_STORAGE": "filesystem"]).s3 == nil)
    }

    @Test(arguments: [
        ("my.images", true), ("Images", true), ("my_images", true), ("ab", true), ("-images", true),
        ("my-images", false), ("images01", false),
    ])
    func aBucketThatIsNoHostLabelIsAddressedByPathOnAWS(_ bucket: String, _ byPath: Bool) throws {
        let config = try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE_S3_BUCKET": bucket, "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
        ])
        #expect(try #require(config.s3).pathStyle == byPath)
        let forced = try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE_S3_BUCKET": bucket, "REGISTRY_STORAGE_S3_FORCEPATHSTYLE": "false",
            "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
        ])
        #expect(try #require(forced.s3).pathStyle == false)
    }

    @Test(arguments: [
        ([String: String](), S3ObjectSettings()),
        (["ENCRYPT": "true"], S3ObjectSettings(encryption: .storeManaged)),
        (["ENCRYPT": "true", "KEYID": "arn:aws:kms:eu-west-1:1:key/k"], S3ObjectSettings(encryption: .kms(keyID: "arn:aws:kms:eu-west-1:1:key/k"))),
        (["ENCRYPT": "false", "KEYID": "k"], S3ObjectSettings()),
        (["STORAGECLASS": "standard"], S3ObjectSettings()),
        (["STORAGECLASS": "NONE"], S3ObjectSettings()),
        (["STORAGECLASS": "reduced_redundancy"], S3ObjectSettings(storageClass: "REDUCED_REDUNDANCY")),
        (["OBJECTACL": "private"], S3ObjectSettings()),
        (["OBJECTACL": "bucket-owner-full-control"], S3ObjectSettings(cannedACL: "bucket-owner-full-control")),
    ])
    func readsDistributionsEncryptionClassAndACL(_ settings: [String: String], _ expected: S3ObjectSettings) throws {
        var environment = ["REGISTRY_STORAGE_S3_BUCKET": "images", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"]
        for (key, value) in settings { environment["REGISTRY_STORAGE_S3_" + key] = value }
        let config = try PierConfiguration.load(path: nil, environment: environment)
        #expect(try #require(config.s3).objects == expected)
        #expect(config.ignoredSettings.map(\.key) == (settings["KEYID"] != nil && settings["ENCRYPT"] != "true" ? ["storage.s3.keyid"] : []))
    }

    @Test(arguments: [("STORAGECLASS", "GLACIERX"), ("OBJECTACL", "Public-Read"), ("OBJECTACL", "everyone"), ("KEYID", "key\nx-amz-acl: public-read")])
    func aMisspeltObjectSettingStopsTheStartByName(_ key: String, _ value: String) throws {
        let environment = [
            "REGISTRY_STORAGE_S3_BUCKET": "images", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
            "REGISTRY_STORAGE_S3_ENCRYPT": "true", "REGISTRY_STORAGE_S3_" + key: value,
        ]
        let error = try #require(throws: ConfigurationError.self) { try PierConfiguration.load(path: nil, environment: environment) }
        #expect(error.key == "storage.s3." + key.lowercased())
    }

    @Test func distributionsSettingsThatChangeNothingHereAreNamed() throws {
        let config = try PierConfiguration.loading("""
            version: 0.1
            log:
              formatter: logstash
              hooks:
                - type: mail
            storage:
              s3:
                bucket: images
                accesskey: AK
                secretkey: SK
                keyid: arn:aws:kms:key
                storageclass: REDUCED_REDUNDANCY
                objectacl: private
            redis:
              addr: localhost:6379
            middleware:
              storage:
                - name: cloudfront
            health:
              file:
                - file: /maintenance
            """)
        #expect(config.logFormat == .json)
        #expect(config.ignoredSettings.map(\.key) == [
            "redis", "storage.s3.keyid", "middleware", "log.hooks", "log.formatter",
        ])
        #expect(config.ignoredSettings.allSatisfy { !$0.reason.isEmpty })
        #expect(try PierConfiguration.load(path: nil, environment: [:]).ignoredSettings.isEmpty)
    }

    @Test func distributionsS3KeysThatWouldChangeItsRequestsAreNamed() throws {
        let config = try PierConfiguration.loading("""
            version: 0.1
            storage:
              s3:
                bucket: images
                accesskey: AK
                secretkey: SK
                v4auth: false
                usedualstack: true
                accelerate: true
                loglevel: debugwithsigning
                useragent: my-registry/1.0
            """)
        #expect(config.ignoredSettings.map(\.key) == [
            "storage.s3.v4auth", "storage.s3.usedualstack", "storage.s3.accelerate", "storage.s3.loglevel", "storage.s3.useragent",
        ])
        #expect(config.ignoredSettings.allSatisfy { !$0.reason.isEmpty })
        #expect(config.unknownKeys.isEmpty)
        // At distribution's defaults they change nothing there either, and nothing is said
        // (an unquoted `off` is YAML's false).
        for level in ["off", "\"off\"", "OFF"] {
            let defaults = try PierConfiguration.loading("""
                version: 0.1
                storage:
                  s3:
                    bucket: images
                    accesskey: AK
                    secretkey: SK
                    v4auth: true
                    usedualstack: false
                    accelerate: false
                    loglevel: \(level)
                    useragent: ""
                """)
            #expect(defaults.ignoredSettings.isEmpty, "loglevel: \(level)")
        }
        let fromEnvironment = try PierConfiguration.load(path: nil, environment: [
            "REGISTRY_STORAGE_S3_BUCKET": "images", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK",
            "REGISTRY_STORAGE_S3_V4AUTH": "false", "REGISTRY_STORAGE_S3_USEDUALSTACK": "false", "REGISTRY_STORAGE_S3_LOGLEVEL": "Debug",
        ])
        #expect(fromEnvironment.ignoredSettings.map(\.key) == ["storage.s3.v4auth", "storage.s3.loglevel"])
    }

    @Test func h2cEnabledIsNamedAsNotServed() throws {
        let enabled = try PierConfiguration.loading("version: 0.1\nhttp:\n  h2c:\n    enabled: true\n")
        #expect(enabled.ignoredSettings.map(\.key) == ["http.h2c.enabled"])
        #expect(enabled.unknownKeys.isEmpty)
        let fromEnvironment = try PierConfiguration.loading("version: 0.1\n", environment: ["REGISTRY_HTTP_H2C_ENABLED": "true"])
        #expect(fromEnvironment.ignoredSettings.map(\.key) == ["http.h2c.enabled"])
        let disabled = try PierConfiguration.loading("version: 0.1\nhttp:\n  h2c:\n    enabled: false\n")
        #expect(disabled.ignoredSettings.isEmpty)
    }

    /// Every name Go's `tls.CipherSuites()` and `tls.InsecureCipherSuites()` give, which
    /// distribution 2.8 accepts in `http.tls.ciphersuites`.
    static let goCipherSuiteNames = [
        "TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        // tls.InsecureCipherSuites()
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    ]

    static func tlsConfiguration(cipherSuites: [String]) -> String {
        "version: 0.1\nhttp:\n  tls:\n    certificate: /c\n    key: /k\n    ciphersuites: [\(cipherSuites.joined(separator: ", "))]\n"
    }

    @Test func everyCipherSuiteNameDistributionAcceptsStartsPier() throws {
        let config = try PierConfiguration.loading(Self.tlsConfiguration(cipherSuites: Self.goCipherSuiteNames))
        let offered = Self.goCipherSuiteNames.filter { !PierConfiguration.unavailableCipherSuites.contains($0) }
        #expect(config.tls?.cipherSuites == offered)
        #expect(offered.allSatisfy { PierConfiguration.cipherSuites[$0] != nil })
    }

    @Test func goCBCAndTripleDESSuitesBoringSSLHasAreOffered() throws {
        let names = ["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"]
        let config = try PierConfiguration.loading(Self.tlsConfiguration(cipherSuites: names))
        #expect(config.tls?.cipherSuites == names)
        #expect(names.compactMap { PierConfiguration.cipherSuites[$0] } == [0x000A, 0xC027, 0xC023])
        #expect(config.ignoredSettings.isEmpty)
    }

    @Test func suitesBoringSSLLacksAreLeftOutAndNamedAtStart() throws {
        let config = try PierConfiguration.loading(Self.tlsConfiguration(cipherSuites: [
            "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_RSA_WITH_AES_128_CBC_SHA256",
        ]))
        #expect(config.tls?.cipherSuites == ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"])
        #expect(config.ignoredSettings.map(\.key) == ["http.tls.ciphersuites"])
        let reason = try #require(config.ignoredSettings.first?.reason)
        #expect(reason.contains("TLS_RSA_WITH_RC4_128_SHA, TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, TLS_RSA_WITH_AES_128_CBC_SHA256"))
        #expect(!reason.contains("GCM"))
    }

    @Test func aListOfOnlySuitesBoringSSLLacksIsRefusedSayingSo() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try PierConfiguration.loading(Self.tlsConfiguration(cipherSuites: ["TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"]))
        }
        #expect(error?.key == "http.tls.ciphersuites")
        #expect(error?.message.hasPrefix("none of TLS_RSA_WITH_RC4_128_SHA, TLS_ECDHE_RSA_WITH_RC4_128_SHA is available") == true)
    }

    @Test func readsSparseManifestValidation() throws {
        let path = try file("""
            version: 0.1
            storage:
              filesystem:
                rootdirectory: /tmp/x
            validation:
              manifests:
                blobs: none
                indexes:
                  platforms: list
                  platformlist:
                    - {os: linux, architecture: arm64}
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        #expect(config.indexChildren == .platforms([.init(os: "linux", architecture: "arm64")]))
        #expect(!config.requireManifestBlobs)
        let defaults = try PierConfiguration.load(path: nil, environment: [:])
        #expect(defaults.indexChildren == .all && defaults.requireManifestBlobs)
    }

    @Test func refusesAnUnknownIndexValidationNamingTheKey() throws {
        let path = try file("""
            version: 0.1
            validation:
              manifests:
                indexes:
                  platforms: some
            """)
        let error = #expect(throws: ConfigurationError.self) { try PierConfiguration.load(path: path, environment: [:]) }
        #expect(error?.key == "validation.manifests.indexes.platforms")
    }

    @Test func readsTheURLsPushedLayersMayNameAsDistributionDoes() throws {
        let path = try file("""
            version: 0.1
            validation:
              manifests:
                urls:
                  allow: ['^https?://([^/]+\\.)*example\\.com/']
                  deny: ['^https?://www\\.example\\.com/']
            """)
        let config = try PierConfiguration.load(path: path, environment: [:])
        #expect(config.manifestURLs.refusal(of: "https://cdn.example.com/layer") == nil)
        #expect(config.manifestURLs.refusal(of: "https://www.example.com/layer") != nil)
        #expect(config.manifestURLs.refusal(of: "https://elsewhere.test/layer") != nil)
        #expect(config.ignoredSettings.isEmpty)
        // Neither list: no URL; validation.disabled: any, unless its old spelling enabled says otherwise.
        #expect(try PierConfiguration.load(path: nil, environment: [:]).manifestURLs == .denyAll)
        let off = try file("version: 0.1\nvalidation:\n  disabled: true\n")
        #expect(try PierConfiguration.load(path: off, environment: [:]).manifestURLs == .anyHTTPURL)
        let both = try file("version: 0.1\nvalidation:\n  disabled: true\n  enabled: true\n")
        #expect(try PierConfiguration.load(path: both, environment: [:]).manifestURLs == .denyAll)
        // The environment turns validation off as distribution's does.
        let fromEnvironment = try PierConfiguration.load(path: nil, environment: ["REGISTRY_VALIDATION_DISABLED": "true"])
        #expect(fromEnvironment.manifestURLs == .anyHTTPURL)
    }

    @Test func refusesAURLPatternThatIsNoRegularExpressionNamingTheKey() throws {
        let path = try file("version: 0.1\nvalidation:\n  manifests:\n    urls:\n      deny: ['(unclosed']\n")
        let error = #expect(throws: ConfigurationError.self) { try PierConfiguration.load(path: path, environment: [:]) }
        #expect(error?.key == "validation.manifests.urls.deny")
    }

    @Test func aHealthIntervalUnderASecondCountsAsOneSecond() throws {
        // A bare number is nanoseconds, as in distribution; a check due in 10 ns always failed.
        let config = try PierConfiguration.load(
            yaml: "version: 0.1\nhealth:\n  storagedriver:\n    enabled: true\n    interval: 10\n", source: "config.yml", environment: [:]
        )
        #expect(config.healthChecks.map(\.interval) == [.seconds(1)])
    }

    @Test func readsDistributionsHealthChecksWithItsNamesAndDefaults() throws {
        let path = try file("""
            version: 0.1
            health:
              storagedriver:
                enabled: true
                interval: 5s
                threshold: 3
              file:
                - file: /srv/maintenance
              http:
                - uri: http://token.internal/health
                  headers:
                    Authorization: [Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==]
                  timeout: 3s
                  threshold: 2
              tcp:
                - addr: redis:6379
                  interval: 30s
            """)
        let checks = try PierConfiguration.load(path: path, environment: [:]).healthChecks
        #expect(checks.map(\.name) == ["storagedriver_filesystem", "/srv/maintenance", "http://token.internal/health", "redis:6379"])
        #expect(checks[0].probe == .storage && checks[0].interval == .seconds(5) && checks[0].threshold == 3)
        #expect(checks[1].probe == .file(path: "/srv/maintenance") && checks[1].interval == .seconds(10) && checks[1].threshold == 1)
        #expect(checks[2].probe == .http(
            url: "http://token.internal/health", headers: ["Authorization": ["Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="]], statusCode: 200, timeout: .seconds(3)
        ))
        #expect(checks[2].threshold == 2)
        // No timeout: the interval, so a check never outlives its turn.
        #expect(checks[3].probe == .tcp(address: "redis:6379", timeout: .seconds(30)))
        #expect(try PierConfiguration.load(path: nil, environment: [:]).healthChecks.isEmpty)
        let environment = ["REGISTRY_HEALTH_STORAGEDRIVER_ENABLED": "true", "REGISTRY_STORAGE": "s3", "REGISTRY_STORAGE_S3_BUCKET": "b",
                           "REGISTRY_STORAGE_S3_REGION": "us-east-1"]
        #expect(try PierConfiguration.load(path: nil, environment: environment).healthChecks.map(\.name) == ["storagedriver_s3"])
    }

    @Test(arguments: [
        ("health:\n  http:\n    - uri: ftp://x/\n", "health.http[0].uri"),
        ("health:\n  tcp:\n    - addr: redis\n", "health.tcp[0].addr"),
        ("health:\n  file:\n    - interval: 5s\n", "health.file[0].file"),
        ("health:\n  file:\n    - file: /a\n    - file: /a\n", "health"),
    ])
    func refusesAHealthCheckItCannotRunNamingTheKey(_ text: String, _ key: String) throws {
        let path = try file("version: 0.1\n" + text)
        let error = #expect(throws: ConfigurationError.self) { try PierConfiguration.load(path: path, environment: [:]) }
        #expect(error?.key == key)
    }
}
