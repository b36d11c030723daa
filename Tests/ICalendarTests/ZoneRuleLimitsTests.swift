@testable import ICalendar
import Testing

/// The guard in front of libical's zone expansion passes the rule shapes real exports use and
/// refuses the ones that would expand without end.
struct ZoneRuleLimitsTests {
    @Test(arguments: [
        "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",  // Thunderbird, Google
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=8,9,10,11,12,13,14;BYDAY=SU",  // Apple, before 2007
        "FREQ=YEARLY;BYDAY=-1SU;BYYEARDAY=84,85,86,87,88,89,90",
        "FREQ=YEARLY;BYDAY=1SU;BYHOUR=2;BYMINUTE=0;BYMONTH=4",  // Outlook
        "FREQ=YEARLY;BYMONTH=10",
        "FREQ=YEARLY;UNTIL=20060402T100000Z;BYMONTH=4;BYDAY=1SU",
        "freq=yearly;bymonth=3;byday=-1su",
    ])
    func realRulesPass(_ rule: String) {
        #expect(ZoneRuleLimits.ruleProblem(rule) == nil)
    }

    @Test(arguments: [
        ("FREQ=SECONDLY", "FREQ=SECONDLY"), ("FREQ=MINUTELY;INTERVAL=1", "FREQ=MINUTELY"), ("FREQ=HOURLY", "FREQ=HOURLY"),
        ("FREQ=WEEKLY;COUNT=0;INTERVAL=0", "FREQ=WEEKLY"), ("BYMONTH=3", "no FREQ"),
        ("FREQ=YEARLY;BYDAY=SU", "about 53 instants"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30",
         "about 48 instants"),
        ("FREQ=YEARLY;BYYEARDAY=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25", "about 25 instants"),
    ])
    func runawayRulesAreRefused(_ rule: String, says: String) throws {
        let problem = try #require(ZoneRuleLimits.ruleProblem(rule))
        #expect(problem.contains(says), "\(problem)")
    }

    @Test func setPositionsBoundTheCount() {
        #expect(ZoneRuleLimits.ruleProblem("FREQ=YEARLY;BYDAY=SU;BYMONTH=3,4,5,6,7,8,9,10;BYSETPOS=-1") == nil)
    }
}
