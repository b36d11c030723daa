import CalendarModel

/// A content line of the input and the line it started on.
struct ContentLine {
    var property: Property
    var line: Int

    var name: String { property.name }
    var parameters: [Parameter] { property.parameters }
    var value: String { property.value }

    func parameter(_ name: String) -> String? {
        property.parameters.first { $0.name == name }?.value
    }

    /// calport's own tokenizer (see `Property.init(contentLine:)`): libical 3.0 unescapes X-
    /// values, re-quotes parameter lists and drops unknown IANA properties, so verbatim
    /// preservation cannot go through it.
    init?(_ text: String, line: Int) {
        guard let p = Property(contentLine: text) else { return nil }
        property = p
        self.line = line
    }

    /// The same from the line's UTF-8 bytes.
    init?(bytes: [UInt8], line: Int) {
        guard let p = Property(contentLineBytes: bytes) else { return nil }
        property = p
        self.line = line
    }

    init?(buffer: UnsafeBufferPointer<UInt8>, line: Int) {
        guard let p = Property(contentLineBuffer: buffer) else { return nil }
        property = p
        self.line = line
    }
}
