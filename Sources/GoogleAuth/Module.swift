// GoogleAuth: OAuth 2.0 sign-in and token lifecycle for Google Calendar.
//
//   ClientSecret, ServiceAccountKey   the credential files the Cloud console downloads
//   AuthorizationSession              one authorization-code sign-in: PKCE S256, state, loopback
//                                     redirect listener or pasted redirect
//   OAuthTokenClient                  token endpoint (code, refresh, JWT bearer) and revocation
//   TokenStore, StoredCredentials     tokens/<profile>.json, 0600, written atomically
//   TokenProvider                     access tokens on demand: refresh, single flight, 401 hook
//   AuthService                       login, status, logout and token providers: `calport auth`
//   AuthError                         every failure, with advice; never a secret inside
