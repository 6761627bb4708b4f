import Testing
@testable import S3

@Suite struct S3XMLTests {
    static let listing = """
        <?xml version="1.0" encoding="UTF-8"?>
        <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>r/</Prefix>\
        <KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>\
        <StartAfter/>\
        <Contents><Key>r/a&amp;b</Key><LastModified>2026-11-24T08:00:00.000Z</LastModified><Size>42</Size></Contents>\
        <CommonPrefixes><Prefix>r/sub/</Prefix></CommonPrefixes>\
        <NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>
        """

    @Test func readsListingRecords() {
        let xml = S3XML(Self.listing)
        let contents = xml.blocks("Contents")
        #expect(contents.count == 1)
        #expect(contents.first?.value("Key") == "r/a&b")
        #expect(contents.first?.value("Size") == "42")
        #expect(xml.blocks("CommonPrefixes").compactMap { $0.value("Prefix") } == ["r/sub/"])
        #expect(xml.value("IsTruncated") == "true")
        #expect(xml.value("NextContinuationToken") == "tok+/=")
    }

    /// Found by `pier-fuzz-s3`: a key starting with a combining mark fused, as a character,
    /// with the `>` before it, and the element's end was never found.
    @Test(arguments: ["\u{0352}l\u{FFFD} r", "\u{0301}", "a&\u{0301}b<\u{0301}", "\u{0301}</Key>"])
    func keysStartingWithCombiningMarksReadBackWhole(key: String) {
        let listing = "<ListBucketResult><Contents><Key>" + S3XML.escape(key) + "</Key><Size>1</Size></Contents></ListBucketResult>"
        let xml = S3XML(listing)
        #expect(xml.blocks("Contents").count == 1)
        #expect(xml.blocks("Contents").first?.value("Key") == key)
        #expect(xml.blocks("Contents").first?.value("Size") == "1")
    }

    /// The byte search behind every element: a first byte that starts a partial match
    /// (`<Ke<Key>`) is stepped past, a match at the very end is found, and nothing is
    /// found in a substring that stops short of it.
    @Test func findsTheFirstWholeOccurrenceOfTheBytes() throws {
        let needle = Array("<Key>".utf8)
        let text: Substring = "x<Ke<<Key>a<Key>"
        let first = try #require(S3XML.find(needle, in: text.utf8))
        #expect(text.utf8.distance(from: text.startIndex, to: first.lowerBound) == 5)
        #expect(String(text[first]) == "<Key>")
        let rest = text[first.upperBound...]
        let second = try #require(S3XML.find(needle, in: rest.utf8))
        #expect(second.upperBound == text.endIndex)
        #expect(S3XML.find(needle, in: text.dropLast().utf8[rest.startIndex...]) == nil)
        #expect(S3XML.find(needle, in: Substring("<Ke").utf8) == nil)
        #expect(S3XML.find([], in: text.utf8) == nil)
        // A decomposed "e" and accent is other bytes than the composed "é" searched for.
        let accented: Substring = "e\u{0301}é"
        let composed = try #require(S3XML.find(Array("é".utf8), in: accented.utf8))
        #expect(accented.utf8.distance(from: accented.startIndex, to: composed.lowerBound) == 3)
    }

    @Test func anAmpersandBeforeACombiningMarkIsStillEscaped() {
        #expect(S3XML.escape("a&\u{0301}") == "a&amp;\u{0301}")
    }

    @Test func aNameIsNotMatchedByALongerOne() {
        let xml = S3XML("<R><KeyMarker>x</KeyMarker><Key>k</Key></R>")
        #expect(xml.value("Key") == "k")
        #expect(xml.value("KeyMarker") == "x")
    }

    @Test func emptyAndSelfClosingElementsReadAsEmpty() {
        #expect(S3XML("<R><StartAfter/></R>").value("StartAfter") == "")
        #expect(S3XML("<R><Prefix></Prefix></R>").value("Prefix") == "")
        #expect(S3XML("<R></R>").value("Prefix") == nil)
    }

    @Test func errorsReadTheirCodeAndDecodeEntities() {
        let xml = S3XML("<Error><Code>NoSuchKey</Code><Message>key &lt;x&gt; &#39;gone&#x27;</Message></Error>")
        #expect(xml.value("Code") == "NoSuchKey")
        #expect(xml.value("Message") == "key <x> 'gone'")
    }

    @Test func truncatedDocumentsDoNotCrash() {
        #expect(S3XML("<R><Key>unterminated").value("Key") == nil)
        #expect(S3XML("<R><Key").value("Key") == nil)
        #expect(S3XML("<").value("Key") == nil)
        #expect(S3XML.decode("a &amp b") == "a &amp b")
    }

    @Test func escapesKeysForRequests() {
        #expect(S3XML.escape("a&b<c>\"'") == "a&amp;b&lt;c&gt;&quot;&apos;")
    }
}
