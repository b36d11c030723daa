import Foundation

/// IANA zone names as the tz database knows them.
public enum TimeZoneNames {
    public static func isKnown(_ name: String) -> Bool { TimeZone(identifier: name) != nil }
}
