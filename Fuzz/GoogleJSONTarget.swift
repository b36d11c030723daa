// libFuzzer target: Google Calendar JSON through the decoder, the mapping and the .ics writer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGoogleJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.googleToICS(bytes)
    return 0
}
