// libFuzzer target: the .ics writer against text it cannot hold. The input is cut into strings
// that fill every string field of a Google event (and of its calendar); the event is mapped and
// written, and libical must read back exactly the components and properties that the same event
// has with its control characters replaced by letters: no string may add or end a line.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzICSWriter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzHarness.writerHoldsAnyText(bytes)
    return 0
}
