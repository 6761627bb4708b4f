import Testing
@testable import OCI

@Suite struct ManifestTests {
    static let digest = "sha256:" + String(repeating: "a", count: 64)
    static let other = "sha256:" + String(repeating: "b", count: 64)

    static func image(mediaType: String? = MediaType.ociManifest, extra: String = "") -> [UInt8] {
        let field = mediaType.map { #""mediaType":"\#($0)","# } ?? ""
        return Array("""
            {"schemaVersion":2,\(field)"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(digest)","size":2},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(other)","size":10}]\(extra)}
            """.utf8)
    }

    @Test func parsesAnImageManifestAndItsBlobs() throws {
        let manifest = try Manifest.parse(Self.image(), contentType: MediaType.ociManifest)
        #expect(manifest.kind == .image)
        #expect(manifest.mediaType == MediaType.ociManifest)
        #expect(manifest.requiredBlobs.map(\.digest.description) == [Self.digest, Self.other])
    }

    @Test func takesTheMediaTypeFromContentTypeWhenTheFieldIsAbsent() throws {
        let manifest = try Manifest.parse(Self.image(mediaType: nil), contentType: MediaType.ociManifest + "; charset=utf-8")
        #expect(manifest.mediaType == MediaType.ociManifest)
    }

    @Test func refusesAContentTypeThatContradictsTheField() {
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Self.image(), contentType: MediaType.dockerManifest)
        }
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Self.image(), contentType: "text/plain")
        }
    }

    @Test func readsSubjectAndArtifactType() throws {
        let extra = #","artifactType":"application/x.sig","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Self.other)","size":5},"annotations":{"k":"v"}"#
        let manifest = try Manifest.parse(Self.image(extra: extra), contentType: nil)
        #expect(manifest.subject?.digest.description == Self.other)
        #expect(manifest.effectiveArtifactType == "application/x.sig")
        #expect(manifest.annotations == ["k": "v"])
    }

    /// The spec: an empty `artifactType` is a missing one, so an image is listed by its
    /// config's media type and an index by none.
    @Test func anEmptyArtifactTypeIsNone() throws {
        let image = try Manifest.parse(Self.image(extra: #","artifactType":"""#), contentType: nil)
        #expect(image.effectiveArtifactType == "application/vnd.oci.image.config.v1+json")
        let index = try Manifest.parse(
            Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","artifactType":"","manifests":[]}"#.utf8),
            contentType: MediaType.ociIndex
        )
        #expect(index.effectiveArtifactType == nil)
    }

    @Test func anIndexRequiresItsManifestsNotBlobs() throws {
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(Self.digest)","size":3,"platform":{"architecture":"amd64","os":"linux"}}]}"#.utf8)
        let manifest = try Manifest.parse(bytes, contentType: MediaType.ociIndex)
        #expect(manifest.kind == .index)
        #expect(manifest.requiredBlobs.isEmpty)
        #expect(manifest.manifests.count == 1)
    }

    @Test(arguments: [
        "not json", "{}", #"{"schemaVersion":1}"#, #"{"schemaVersion":2,"mediaType":"text/plain","config":{}}"#,
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":1},"layers":[]}"#,
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"\#(digest)","size":-1},"layers":[]}"#,
        #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
    ])
    func refusesInvalidManifests(_ text: String) {
        #expect(throws: RegistryError.self) {
            try Manifest.parse(Array(text.utf8), contentType: nil)
        }
    }

    @Test func foreignLayersNeedNotBeStored() throws {
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"\#(Self.digest)","size":2},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"\#(Self.other)","size":9,"urls":["https://example.invalid/l"]}]}"#.utf8)
        let manifest = try Manifest.parse(bytes, contentType: MediaType.dockerManifest)
        #expect(manifest.requiredBlobs.map(\.digest.description) == [Self.digest])
    }

    /// As distribution: a non-distributable OCI layer is fetched elsewhere only when it
    /// names URLs; without, or for any other layer type, the blob must be pushed.
    @Test func aNonDistributableLayerNeedsNoBlobOnlyWithURLs() throws {
        func required(_ layer: String) throws -> [String] {
            let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(Self.digest)","size":2},"layers":[\#(layer)]}"#.utf8)
            return try Manifest.parse(bytes, contentType: MediaType.ociManifest).requiredBlobs.map(\.digest.description)
        }
        let nondistributable = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        #expect(try required(#"{"mediaType":"\#(nondistributable)","digest":"\#(Self.other)","size":9,"urls":["https://a/b"]}"#) == [Self.digest])
        #expect(try required(#"{"mediaType":"\#(nondistributable)","digest":"\#(Self.other)","size":9}"#) == [Self.digest, Self.other])
        #expect(try required(#"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(Self.other)","size":9,"urls":["https://a/b"]}"#) == [Self.digest, Self.other])
    }
}

/// A manifest that means two things to two parsers, or that Go's parser refuses, is refused.
@Suite struct JSONAmbiguityTests {
    @Test(arguments: [
        #"{"schemaVersion":2,"layers":[],"layers":[{"digest":"x"}]}"#,
        #"{"schemaVersion":2,"mediaType":"a","config":{"size":1,"size":2}}"#,
        #"{"a":[{"k":1},{"k":2,"k":3}]}"#,
        #"{"layers":1,"la\u0079ers":2}"#,
        // Go fills a field whatever the case of its key (the last one wins), Foundation
        // only the key spelt exactly: two documents again.
        #"{"layers":[],"Layers":[{"digest":"x"}]}"#,
        #"{"config":{"digest":"a","DIGEST":"b"}}"#,
        #"{"\u017fize":1,"size":2}"#,
    ])
    func aDuplicateKeyAtAnyDepthIsFound(_ json: String) {
        guard case .duplicateKey = JSONAmbiguity.first(in: Array(json.utf8)) else {
            Issue.record("no duplicate found in \(json)")
            return
        }
    }

    @Test(arguments: [
        #"{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}]}"#,
        #"{"k":"a\"k\":\"b","v":"k"}"#,
        #"{"annotations":{"A":"1","a":"2"}}"#,
    ])
    func keysRepeatedAcrossObjectsOrInsideStringsAreNoDuplicates(_ json: String) {
        #expect(JSONAmbiguity.first(in: Array(json.utf8)) == nil)
    }

    @Test(arguments: [
        (#"{"schemaVersion":2.0}"#, "schemaVersion", "2.0"),
        (#"{"config":{"size":7.0}}"#, "size", "7.0"),
        (#"{"layers":[{"digest":"x","size":1E1}]}"#, "size", "1E1"),
        (#"{"layers":[{"size":70e-1 }]}"#, "size", "70e-1"),
        (#"{"schemaVersion":0.0000001e7}"#, "schemaVersion", "0.0000001e7"),
        (#"{"config":{"Size":7.0}}"#, "Size", "7.0"),
    ])
    func anIntegerFieldWrittenWithAFractionOrExponentIsFound(_ json: String, key: String, number: String) {
        #expect(JSONAmbiguity.first(in: Array(json.utf8)) == .notAnInteger(key: key, number: number))
    }

    @Test(arguments: [
        #"{"schemaVersion":2,"config":{"size":-0,"annotations":{"size":"1.5"}},"layers":[{"size":10}]}"#,
        #"{"x-weight":1.5,"other":{"ratio":2e3},"sizes":[1.5]}"#,
        #"{"size":[1.5]}"#,
    ])
    func integersAndNumbersOfOtherFieldsAreNoAmbiguity(_ json: String) {
        #expect(JSONAmbiguity.first(in: Array(json.utf8)) == nil)
    }

    @Test(arguments: [#"{"schemaVersion":2.0,"#, "\u{FEFF}" + #"{"schemaVersion":2,"#])
    func aManifestGoCannotReadIsInvalid(_ start: String) {
        let rest = #""mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
        #expect(throws: RegistryError.self) { try Manifest.parse(Array((start + rest).utf8), contentType: nil) }
        let plain = Array((#"{"schemaVersion":2,"# + rest).utf8)
        #expect((try? Manifest.parse(plain, contentType: nil)) != nil)
    }

    @Test func aManifestInUTF16IsInvalidWithOrWithoutAByteOrderMark() {
        let text = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#
        let littleEndian = text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        for bytes in [littleEndian, [0xFF, 0xFE] + littleEndian] {
            #expect(throws: RegistryError.self) { try Manifest.parse(bytes, contentType: nil) }
        }
        #expect((try? Manifest.parse(Array(text.utf8), contentType: nil)) != nil)
    }

    @Test func aManifestWithTwoLayersKeysIsInvalid() {
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"layers":[]}"#.utf8)
        #expect(throws: RegistryError.self) { try Manifest.parse(bytes, contentType: nil) }
    }
}
