#!/usr/bin/env python3
"""Generate Sources/GoogleCalendar/WindowsZones.swift from CLDR's windowsZones.xml.

Usage:
    scripts/gen-windows-zones.py [PATH_TO_windowsZones.xml] [--display-names PATH] [--output PATH]

The default input is the file shipped by the Debian package unicode-cldr-core
(`apt-get install unicode-cldr-core`). The output is deterministic: Windows
names and territories are sorted, and nothing time- or machine-dependent is
written apart from the input paths as given on the command line.

Each <mapZone other="WINDOWS NAME" territory="XX" type="IANA [IANA ...]"/>
becomes table[WINDOWS NAME][XX] = first IANA id of the space-separated list.

Outlook also writes a zone's Windows *display name* as the TZID
("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"). CLDR does
not list those; Windows keeps them in the registry (the "Display" value of
HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Time Zones\<key>) and
.NET returns them as TimeZoneInfo.DisplayName. The PyPI package win2utc ships
a dump of TimeZoneInfo.GetSystemTimeZones() (English, one object per zone key
with "Id" and "DisplayName") as win2utc/data/timezones.json; `pip install
win2utc==0.2.0` and this script finds it, or pass --display-names. Each
DisplayName becomes displayNames[DISPLAY NAME] = Id, for the Ids CLDR maps.
"""

import argparse
import hashlib
import importlib.util
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

DEFAULT_INPUT = "/usr/share/unicode/cldr/common/supplemental/windowsZones.xml"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "Sources", "GoogleCalendar", "WindowsZones.swift")


def cldr_version(xml_path, root):
    """Find the CLDR version for the file.

    Newer CLDR releases put it in the XML (<version cldrVersion="..."> or a
    <cldrVersion version="..."/> element). Older ones (e.g. the Debian package
    of CLDR 41) only have <version number="$Revision$"/> in the XML and declare
    cldrVersion as a #FIXED attribute default in the DTD named by the DOCTYPE,
    so fall back to reading that DTD.
    """
    version = root.find("version")
    if version is not None:
        for attr in ("cldrVersion", "version"):
            if version.get(attr):
                return version.get(attr), "XML <version %s>" % attr
    element = root.find("cldrVersion")
    if element is not None and element.get("version"):
        return element.get("version"), "XML <cldrVersion>"

    with open(xml_path, encoding="utf-8") as f:
        head = f.read(4096)
    doctype = re.search(r'<!DOCTYPE\s+\w+\s+SYSTEM\s+"([^"]+)"', head)
    if doctype:
        dtd_path = os.path.normpath(os.path.join(os.path.dirname(xml_path), doctype.group(1)))
        if os.path.exists(dtd_path):
            with open(dtd_path, encoding="utf-8") as f:
                dtd = f.read()
            fixed = re.search(r'<!ATTLIST\s+version\s+cldrVersion\s+CDATA\s+#FIXED\s+"([^"]+)"', dtd)
            if fixed:
                return fixed.group(1), "DTD %s" % os.path.basename(dtd_path)

    if version is not None and version.get("number"):
        number = version.get("number")
        if "$" not in number:
            return number, "XML <version number>"
    return "unknown", "no version in the XML or its DTD"


def parse(xml_path):
    root = ET.parse(xml_path).getroot()
    table = {}
    map_timezones = root.find("windowsZones/mapTimezones")
    if map_timezones is None:
        sys.exit("error: %s has no windowsZones/mapTimezones element" % xml_path)
    for zone in map_timezones.iter("mapZone"):
        name = zone.get("other")
        territory = zone.get("territory")
        ids = (zone.get("type") or "").split()
        if not name or not territory or not ids:
            sys.exit("error: incomplete mapZone element: %r" % zone.attrib)
        territories = table.setdefault(name, {})
        if territory in territories and territories[territory] != ids[0]:
            sys.exit("error: conflicting entries for %r / %s" % (name, territory))
        territories[territory] = ids[0]

    for name, territories in table.items():
        if "001" not in territories:
            sys.exit("error: %r has no default (001) territory" % name)
    lowered = {}
    for name in table:
        if name.lower() in lowered:
            sys.exit("error: %r and %r differ only in case" % (name, lowered[name.lower()]))
        lowered[name.lower()] = name

    info = {
        "cldr": cldr_version(xml_path, root),
        "typeVersion": map_timezones.get("typeVersion", "unknown"),
        "otherVersion": map_timezones.get("otherVersion", "unknown"),
    }
    return table, info


def default_display_names():
    """win2utc/data/timezones.json of the installed win2utc package, if any."""
    spec = importlib.util.find_spec("win2utc")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "timezones.json")
    return path if os.path.exists(path) else None


def parse_display_names(path, table):
    """DisplayName -> Windows Id for every Id in `table`, and the Ids left out."""
    with open(path, "rb") as f:
        raw = f.read()
    names, skipped = {}, []
    for zone in json.loads(raw):
        key, display = zone.get("Id"), zone.get("DisplayName")
        if not key or not display:
            sys.exit("error: %s: an entry without Id or DisplayName: %r" % (path, zone))
        if not re.match(r"^\(UTC([+-]\d\d:\d\d)?\) \S", display):
            sys.exit("error: %s: display name %r does not start with (UTC±hh:mm)" % (path, display))
        if key not in table:
            skipped.append(key)  # no longer a Windows zone CLDR maps (e.g. Kamchatka Standard Time)
            continue
        if display in names and names[display] != key:
            sys.exit("error: %s: display name %r names both %r and %r" % (path, display, names[display], key))
        names[display] = key
    return names, sorted(skipped), hashlib.sha256(raw).hexdigest()


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


TEMPLATE = '''\
// GENERATED FILE - DO NOT EDIT.
//
// Generated by: {command}
// From:         {source}
// CLDR version: {cldr_version} (from {cldr_version_source})
// tz data version (typeVersion): {type_version}; Windows data version (otherVersion): {other_version}
// {name_count} Windows zone names, {entry_count} (name, territory) entries.
//
// Display names from: {display_source}
// (the PyPI package win2utc 0.2.0, win2utc/data/timezones.json, sha256 {display_sha256}:
// .NET TimeZoneInfo.GetSystemTimeZones() on English Windows, i.e. the registry's "Display"
// value of each zone key). {display_count} display names; left out, as CLDR maps no such key: {display_skipped}.
//
// To regenerate, install the Debian package unicode-cldr-core and the PyPI package
// win2utc==0.2.0 (or point the script at other files) and rerun the command above.

/// Windows time-zone names (as Outlook and Exchange write them) to IANA zones, from CLDR.
public enum WindowsZones {{
    /// The IANA zone for a Windows zone name and a CLDR territory ("001" = the default).
    static let table: [String: [String: String]] = [
{entries}
    ]

    /// Windows display names, as Outlook writes them for TZIDs, to the Windows name (a key of
    /// `table`): the zone's English display name in the Windows registry.
    static let displayNames: [String: String] = [
{display_entries}
    ]

    /// `displayNames` keyed by `displayKey(_:)`.
    static let displayKeys: [String: String] = {{
        var index: [String: String] = [:]
        for (display, name) in displayNames {{ if let key = displayKey(display) {{ index[key] = name }} }}
        return index
    }}()

    /// The Windows name for a display name such as "(UTC+01:00) Amsterdam, Berlin, Bern, Rome,
    /// Stockholm, Vienna". Older Windows wrote "(GMT+01:00) …"; quotes, case and runs of spaces
    /// do not matter. The offset in parentheses must be the one Windows shows for the zone:
    /// Windows renamed zones when their offset changed, so another offset is another zone.
    static func windowsName(forDisplayName name: String) -> String? {{
        displayKey(trim(name)).flatMap {{ displayKeys[$0] }}
    }}

    /// "(utc+01:00) amsterdam, berlin, …": the lowercased name with single spaces, "(GMT" read
    /// as "(UTC" and a zero offset written as "(UTC)"; nil if it does not start like a display name.
    static func displayKey(_ name: String) -> String? {{
        var s = name.lowercased().split(whereSeparator: {{ $0 == " " || $0 == "\\t" }}).joined(separator: " ")
        guard s.hasPrefix("(utc") || s.hasPrefix("(gmt"), let close = s.firstIndex(of: ")") else {{ return nil }}
        var offset = String(s[s.index(s.startIndex, offsetBy: 4)..<close])
        if offset == "+00:00" || offset == "-00:00" {{ offset = "" }}
        s = "(utc" + offset + s[close...]
        return s
    }}

    /// Lowercased Windows name -> Windows name as spelled in `table`, for case-insensitive lookups.
    static let lowercasedNames: [String: String] = {{
        var index: [String: String] = [:]
        index.reserveCapacity(table.count)
        for name in table.keys {{ index[name.lowercased()] = name }}
        return index
    }}()

    /// The IANA zone for a Windows name (territory 001), accepting Outlook's numbered
    /// variants ("Eastern Standard Time 1"), surrounding quotes/spaces, and case differences.
    public static func ianaName(forWindowsName name: String, territory: String = "001") -> String? {{
        guard let windowsName = canonicalName(name) else {{ return nil }}
        guard let territories = table[windowsName] else {{ return nil }}
        return territories[territory] ?? territories["001"]
    }}

    /// The key of `table` that `name` refers to, if any.
    static func canonicalName(_ name: String) -> String? {{
        let trimmed = trim(name)
        if trimmed.isEmpty {{ return nil }}
        if table[trimmed] != nil {{ return trimmed }}
        let unnumbered = strippingNumberSuffix(trimmed)
        if let unnumbered, table[unnumbered] != nil {{ return unnumbered }}
        if let match = lowercasedNames[trimmed.lowercased()] {{ return match }}
        if let unnumbered, let match = lowercasedNames[unnumbered.lowercased()] {{ return match }}
        return nil
    }}

    /// `name` without surrounding whitespace and double quotes.
    static func trim(_ name: String) -> String {{
        func isJunk(_ c: Character) -> Bool {{ c.isWhitespace || c == "\\"" }}
        guard let first = name.firstIndex(where: {{ !isJunk($0) }}),
              let last = name.lastIndex(where: {{ !isJunk($0) }})
        else {{ return "" }}
        return String(name[first...last])
    }}

    /// "Eastern Standard Time 1" -> "Eastern Standard Time"; nil if there is no ` <digits>` suffix.
    static func strippingNumberSuffix(_ name: String) -> String? {{
        guard let space = name.lastIndex(of: " ") else {{ return nil }}
        let suffix = name[name.index(after: space)...]
        guard !suffix.isEmpty, suffix.allSatisfy({{ $0.isASCII && $0.isNumber }}) else {{ return nil }}
        let stem = trim(String(name[..<space]))
        return stem.isEmpty ? nil : stem
    }}
}}
'''


def render(table, info, input_arg, command, display):
    lines = []
    for name in sorted(table):
        territories = table[name]
        # "001" first, then the other territories in order.
        keys = ["001"] + sorted(k for k in territories if k != "001")
        inner = ", ".join("%s: %s" % (swift_string(k), swift_string(territories[k])) for k in keys)
        lines.append("        %s: [%s]," % (swift_string(name), inner))
    cldr_version, cldr_version_source = info["cldr"]
    return TEMPLATE.format(
        command=command,
        source=input_arg,
        cldr_version=cldr_version,
        cldr_version_source=cldr_version_source,
        type_version=info["typeVersion"],
        other_version=info["otherVersion"],
        name_count=len(table),
        entry_count=sum(len(t) for t in table.values()),
        entries="\n".join(lines),
        display_source=display["source"],
        display_sha256=display["sha256"],
        display_count=len(display["names"]),
        display_skipped=", ".join(display["skipped"]) or "none",
        display_entries="\n".join("        %s: %s," % (swift_string(k), swift_string(display["names"][k]))
                                   for k in sorted(display["names"])),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default=DEFAULT_INPUT,
                        help="path to CLDR windowsZones.xml (default: %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="Swift file to write (default: Sources/GoogleCalendar/WindowsZones.swift)")
    parser.add_argument("--display-names", default=None,
                        help="path to win2utc's timezones.json (default: the installed win2utc package's)")
    args = parser.parse_args()

    if not os.path.exists(args.input):
        sys.exit("error: %s not found (apt-get install unicode-cldr-core, or pass the path)" % args.input)
    table, info = parse(args.input)
    display_path = args.display_names or default_display_names()
    if not display_path or not os.path.exists(display_path):
        sys.exit("error: no display-name table (pip install win2utc==0.2.0, or pass --display-names)")
    names, skipped, sha256 = parse_display_names(display_path, table)
    display = {"names": names, "skipped": skipped, "sha256": sha256,
               "source": args.display_names or "win2utc/data/timezones.json of the installed win2utc package"}

    command = "scripts/gen-windows-zones.py"
    if args.input != DEFAULT_INPUT:
        command += " " + args.input
    if args.display_names:
        command += " --display-names " + args.display_names
    text = render(table, info, args.input, command, display)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print("wrote %s: %d Windows names, CLDR %s" % (args.output, len(table), info["cldr"][0]))


if __name__ == "__main__":
    main()
