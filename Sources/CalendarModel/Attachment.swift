/// ATTACH: a URI, or inline binary content (base64 as written), and its iCalendar text.
public struct Attachment: Hashable, Sendable, Codable {
    public var uri: String?
    public var inlineBase64: String?
    public var formatType: String?
    /// Parameters other than FMTTYPE, ENCODING and VALUE, verbatim.
    public var parameters: [Parameter] = []

    public init(uri: String? = nil, inlineBase64: String? = nil, formatType: String? = nil) {
        self.uri = uri
        self.inlineBase64 = inlineBase64
        self.formatType = formatType
    }

    /// Reads an ATTACH line. RFC 5545 3.8.1.1 marks inline content with both ENCODING=BASE64
    /// and VALUE=BINARY; producers that write only one of them mean the same.
    public init(property p: Property) {
        let inline = p.parameter("VALUE")?.value.uppercased() == "BINARY" || p.parameter("ENCODING")?.value.uppercased() == "BASE64"
        if inline { inlineBase64 = p.value } else { uri = p.value }
        formatType = p.parameter("FMTTYPE")?.value
        parameters = p.parameters.filter { $0.name != "FMTTYPE" && $0.name != "ENCODING" && $0.name != "VALUE" }
    }

    public var property: Property {
        var params: [Parameter] = []
        if let f = formatType { params.append(Parameter("FMTTYPE", f)) }
        if inlineBase64 != nil { params += [Parameter("ENCODING", "BASE64"), Parameter("VALUE", "BINARY")] }
        return Property(name: "ATTACH", parameters: params + parameters, value: inlineBase64 ?? uri ?? "")
    }
}
