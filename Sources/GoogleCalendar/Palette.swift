import CalendarModel

/// Google's event colours (`colorId` 1–11) and RFC 7986 COLOR names.
///
/// The RGB values are the "classic" event palette that `colors.get` returns (the API always
/// returns the classic colours, whatever the user chose in the web UI).
enum Palette {
    static let event: [(id: String, rgb: UInt32)] = [
        ("1", 0xA4BDFC), ("2", 0x7AE7BF), ("3", 0xDBADFF), ("4", 0xFF887C), ("5", 0xFBD75B), ("6", 0xFFB878),
        ("7", 0x46D6DB), ("8", 0xE1E1E1), ("9", 0x5484ED), ("10", 0x51B749), ("11", 0xDC2127),
    ]

    /// The palette entry nearest to a CSS colour name (or `#rrggbb`), by distance in RGB.
    static func nearestColorId(to color: String) -> String? {
        guard let rgb = rgb(of: color) else { return nil }
        return event.min { distance($0.rgb, rgb) < distance($1.rgb, rgb) }?.id
    }

    /// The CSS colour name nearest to a palette entry.
    static func cssName(forColorId id: String) -> String? {
        guard let rgb = event.first(where: { $0.id == id })?.rgb else { return nil }
        return CSSColors.rgb.min { a, b in
            let da = distance(a.value, rgb), db = distance(b.value, rgb)
            return da != db ? da < db : a.key < b.key
        }?.key
    }

    static func rgb(of color: String) -> UInt32? {
        let c = color.trimmingSpaces().lowercased()
        if c.hasPrefix("#"), c.count == 7 { return UInt32(c.dropFirst(), radix: 16) }
        return CSSColors.rgb[c]
    }

    private static func distance(_ a: UInt32, _ b: UInt32) -> Int {
        let dr = Int((a >> 16) & 0xFF) - Int((b >> 16) & 0xFF)
        let dg = Int((a >> 8) & 0xFF) - Int((b >> 8) & 0xFF)
        let db = Int(a & 0xFF) - Int(b & 0xFF)
        return dr * dr + dg * dg + db * db
    }
}
