import OCI
import Testing

@Suite struct ByteRangeTests {
    @Test func resolvesTheThreeForms() {
        #expect(ByteRange("bytes=0-4")?.resolve(size: 10) == 0..<5)
        #expect(ByteRange("bytes=5-")?.resolve(size: 10) == 5..<10)
        #expect(ByteRange("bytes=-3")?.resolve(size: 10) == 7..<10)
        #expect(ByteRange("bytes=8-100")?.resolve(size: 10) == 8..<10)
    }

    @Test func unsatisfiableRangesResolveToNil() {
        #expect(ByteRange("bytes=10-")?.resolve(size: 10) == nil)
        #expect(ByteRange("bytes=-0")?.resolve(size: 10) == nil)
    }

    @Test(arguments: ["items=0-1", "bytes=a-b", "bytes=5-2", "bytes=0-1,3-4", "bytes=-"])
    func ignoresHeadersItCannotUse(_ header: String) {
        #expect(ByteRange(header) == nil)
    }
}
