/// What the fake Google Calendar API does, and where it only approximates Google.
///
/// ## As Google documents or is observed to behave
///
/// - **Ids.** A client `id` must be base32hex (`a`–`v`, `0`–`9`), 5–1024 characters, else 400
///   `invalid` "Invalid resource id value."; generated ids are 26 base32hex characters. An id
///   that exists in the calendar, even cancelled, is 409 `duplicate` on insert.
/// - **insert / import.** Bodies are validated against the discovery document's `Event`
///   schema and the limits its descriptions state (≤ 5 reminder overrides, minutes 0…40320,
///   recurrence lines start with RRULE/EXRULE/RDATE/EXDATE, date xor dateTime, ...). start and end
///   are required ("Missing start time." / "Missing end time.", reason `required`); end before
///   start is 400 `timeRangeEmpty`; recurring timed events need `timeZone` on start and end.
///   import requires `iCalUID`, keeps `organizer` (insert sets it to the calendar), accepts only
///   `eventType: default`, and answers 409 `duplicate` when any event of the calendar (cancelled
///   ones included) has that iCalUID, whatever its `sequence`. Insert with an existing iCalUID
///   is 409 too. `conferenceData` is dropped unless `conferenceDataVersion=1`.
/// - **Exceptions.** A body with `recurringEventId` and `originalStartTime` becomes an instance
///   of that series, with id `{masterId}_{YYYYMMDDTHHMMSSZ}` (UTC) or `{masterId}_{YYYYMMDD}`
///   (all-day) and the master's iCalUID. The master must exist and be recurring (400), the
///   original start must be an occurrence when the rule is one the fake expands (400), a second
///   exception for the same occurrence is 409. Instance ids of unmodified occurrences work with
///   get, update, patch and delete (update/patch/delete store an exception).
/// - **delete** sets `status: cancelled`; the event stays (get returns it), a second delete is
///   410 `deleted`, insert with its id is 409, update undeletes. Deleting a series cancels its
///   exceptions.
/// - **update (PUT)** replaces every writable field; **patch** merges (nested objects member by
///   member, arrays replaced, `null` clears), then the result is validated. Read-only fields
///   (`id`, `iCalUID`, `created`, `creator`, `organizer`, `recurringEventId`,
///   `originalStartTime`, ...) keep their values. A `sequence` below the stored one is 400;
///   changing `eventType` is 400. `If-Match` with another etag is 412 `conditionNotMet`;
///   `If-None-Match` with the current etag on get is 304.
/// - **Change tracking.** Every change takes a new etag (quoted digits), a server-wide change
///   number and a strictly increasing `updated` (RFC 3339 UTC with milliseconds) — except a
///   change to `reminders` alone, which keeps `updated` (Google's behaviour; see
///   `Options.remindersOnlyChangeKeepsUpdated`).
/// - **events.list.** `maxResults` 1…2500 (default 250, larger values clamped),
///   `pageToken`/`nextPageToken`, `nextSyncToken` on the last page only; `showDeleted`;
///   cancelled instances of live series listed with `singleEvents=false` even without it;
///   entries deleted since `updatedMin` always listed; `iCalUID` (series and exceptions),
///   `timeMin`/`timeMax` (need an offset; `timeMin >= timeMax` is 400), `updatedMin`, `q`,
///   `privateExtendedProperty`, `sharedExtendedProperty`, `eventTypes`, `orderBy=updated`, and
///   `orderBy=startTime` (400 unless `singleEvents=true`). Cancelled events are listed as
///   tombstones: kind, etag, id, status, and recurringEventId/originalStartTime for instances.
///   The envelope has kind `calendar#events`, etag, summary, updated, timeZone, accessRole
///   `owner`, defaultReminders (popup 30 for the primary calendar).
/// - **Sync.** A `syncToken` lists what changed since the token (deleted entries as
///   tombstones), paged the same way, with a new `nextSyncToken` on the last page. With
///   `iCalUID`, `orderBy`, `privateExtendedProperty`, `q`, `sharedExtendedProperty`,
///   `timeMin`, `timeMax` or `updatedMin` it is 400. `expireSyncTokens()` makes every earlier
///   token 410 `fullSyncRequired` "Sync token is no longer valid, a full sync is required."
///   (domain `calendar`, location `syncToken`). A malformed token is 400 "Invalid sync token
///   value.". The token of a full listing is taken when its first page is served, so changes
///   made while paging come again in the next incremental sync (never lost).
/// - **Query parameters** are checked against the discovery document: an unknown name, a
///   malformed integer or boolean, a value outside an enum (`sendUpdates`, `orderBy`) or below a
///   minimum is 400, as Google's "Cannot bind query parameter" errors. `fields`, `prettyPrint`,
///   `alt`, `quotaUser` are accepted; `fields` does not trim the response.
/// - **Batch** (`POST batch/calendar/v3`, multipart/mixed): 1…1000 parts, each an
///   `application/http` request line (path or full URL), headers and body; the answer has one
///   `application/http` part per request, in order, with its status line, headers and JSON
///   body, and `Content-ID: <response-ID>` for a part sent with `Content-ID: <ID>`. Each part
///   counts as a call of its method; a part may carry its own Authorization.
/// - **Errors** have Google's shape: `{"error":{"code","message","errors":[{"domain","reason",
///   "message"}],"status"}}` with reasons `notFound`, `duplicate`, `invalid`, `required`,
///   `parseError`, `deleted`, `conditionNotMet`, `fullSyncRequired`, `timeRangeEmpty`,
///   `authError`, `rateLimitExceeded`, `userRateLimitExceeded`, `quotaExceeded` (domain
///   `usageLimits`), `backendError`.
/// - **OAuth.** `POST token`: `authorization_code` (code, registered redirect_uri and PKCE
///   challenge, S256 or plain; a code works once), `refresh_token` (or `invalid_grant` "Token
///   has been expired or revoked."), `urn:ietf:params:oauth:grant-type:jwt-bearer` (any
///   assertion of three non-empty dot-separated parts); access tokens `fake-access-N`,
///   `expires_in` 3599. `POST revoke?token=` revokes a refresh token with its access tokens,
///   or one access token. `GET o/oauth2/v2/auth` approves at once with a 302 to the redirect
///   URI.
///
/// ## Approximations
///
/// - `dateTime` values come back as they were sent, not rewritten into the calendar's zone, and
///   the `timeZone` query parameter is ignored; instances the fake computes are written with the
///   offset of the series' zone.
/// - Recurrence expansion covers one RRULE of FREQ=DAILY, WEEKLY (BYDAY of plain weekdays,
///   WKST), MONTHLY or YEARLY (no BY parts), with INTERVAL, COUNT or UNTIL, plus RDATE and
///   EXDATE lists. Other rules are stored and returned faithfully, but `events.instances` and
///   `singleEvents=true` answer 400 "... is not supported by the fake Google Calendar API" for
///   them, and their instance ids and exceptions are accepted without checking the
///   occurrence. A series without an end lists at most 2500 instances unless `timeMax`
///   bounds it. `singleEvents=true` with `syncToken` is 400 (not supported).
/// - A series' span for `timeMin`/`timeMax` is from its first start to the end of its last
///   instance (unbounded for endless or unexpanded rules). All-day events span their dates in
///   the calendar's zone (UTC unless configured).
/// - Changing a series' rule or start leaves its exceptions as they were.
/// - Listed cancelled events are always tombstones, also with `showDeleted=true` in a full
///   listing; get returns the whole cancelled event.
/// - import of an iCalUID whose only event is cancelled is 409 (Google's behaviour here is not
///   documented); an exception needs `recurringEventId`, an `originalStartTime` alone does not
///   attach an imported event to the series with that iCalUID (it is then a 409).
/// - Google ignores unknown fields in bodies; the fake rejects them with 400 naming each one
///   (`Options.rejectsUnknownFields = false` drops them instead), to catch mapping mistakes.
/// - Not implemented (501): events.move, quickAdd, watch, calendars.clear/patch/update/
///   transferOwnership, calendarList.insert/patch/update/delete/watch, acl, colors, settings,
///   freebusy, channels. Unknown paths are 404 with the JSON error shape.
/// - No gzip: responses are sent uncompressed whatever `Accept-Encoding` says.
///
/// ## Quota
///
/// `rateLimit` is Google's per-user quota (600 calls a minute, "calculated per minute using a
/// sliding window", guides/quota): batch parts count one call each, the batch request itself
/// none, and a call beyond it is answered 403 `userRateLimitExceeded` (or `rateLimitExceeded`,
/// or 429 `rateLimitExceeded`, all domain `usageLimits`, as configured) before anything is
/// applied. Approximation: a refused call does not count against the window (Google does not
/// document whether it does), and there is one account, so "per user" is per server.
///
/// ## Faults
///
/// Every fault is decided before the call is applied, under the same lock as the data: a call
/// answered with an injected error or a dropped connection changed nothing, so a retry behaves
/// as the first attempt would have (a retried import succeeds once, then gets 409 consistently).
/// `Faults.dropAfterApplying` is the one deliberate exception: it applies the call and then
/// drops the connection, modelling a lost response; the retry of an insert or import then meets
/// 409 duplicate. Order of decision per call: `failNext` queue, `usageLimitsExceeded` (writes),
/// `rateLimit`, then one draw of the seeded generator against the summed probabilities. A
/// batch request draws once as a whole (all faults; an error answers the whole batch), then each
/// part meets the queue, the switch, the limit and its own draw (status faults only: a part
/// cannot drop the connection; a queued `dropConnection` becomes a 503 for a part). The token
/// endpoints never fault. `Faults.latency` delays every response, token endpoints included.
public enum FakeGoogleBehaviour {}
