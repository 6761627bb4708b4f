import OCI
import Testing

@Suite struct ContentRangeTests {
    @Test(arguments: ["0-1023", "bytes=0-1023", "bytes 0-1023/*", "bytes 0-1023/2048", " 0-1023 "])
    func everySpellingClientsUseGivesTheSameSpan(header: String) throws {
        let range = try ContentRange(parsing: header)
        #expect(range == (try ContentRange(parsing: "0-1023")))
        #expect(range.start == 0 && range.end == 1023)
        #expect(range.matches(length: 1024))
        #expect(!range.matches(length: 1023))
    }

    @Test(arguments: ["", "-", "abc", "1-", "-5", "bytes=-5", "1-2-3", "0x10-20", "-1-5", "99999999999999999999-1",
                          "+0-+4", "0-+4", " 0 - 4", "bytes 0-4/3", "bytes 0-4/4", "bytes 0-4/", "bytes 0-4/abc", "bytes 0-4/-9"])
    func malformedSpansAreBlobUploadInvalid(header: String) {
        do {
            _ = try ContentRange(parsing: header)
            Issue.record("parsed \(header)")
        } catch {
            #expect(error.code == .blobUploadInvalid)
        }
    }

    @Test func anEndBeforeItsStartIsRangeInvalid() {
        do {
            _ = try ContentRange(parsing: "10-5")
            Issue.record("parsed")
        } catch {
            #expect(error.code == .rangeInvalid)
        }
    }

    @Test func lengthsThatCannotBeASpanNeverMatchOrOverflow() throws {
        let whole = try ContentRange(parsing: "0-\(Int64.max)")
        #expect(!whole.matches(length: Int64.max))
        #expect(!whole.matches(length: 0))
        #expect(!whole.matches(length: Int64.min))
        let one = try ContentRange(parsing: "5-5")
        #expect(one.matches(length: 1))
        let kibibyte = try ContentRange(parsing: "0-1023")
        #expect(one.length == 1 && kibibyte.length == 1024)
        #expect(whole.length == nil, "one more byte than an Int64 counts")
    }

    @Test func aTotalTheSpanFitsInIsAccepted() throws {
        let range = try ContentRange(parsing: "bytes 0-4/5")
        #expect(range == (try ContentRange(parsing: "0-4")))
    }
}
