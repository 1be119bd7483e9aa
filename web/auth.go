package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// tokenCookie keeps a browser signed in after it opened a page with
// ?token=. It holds an HMAC of the token, not the token: a leaked cookie
// does not reveal the token, and changing the token signs everyone out.
const tokenCookie = "releasebot_session"

// cookieMaxAge is how long a browser stays signed in: 30 days.
const cookieMaxAge = 30 * 24 * 60 * 60

// requireToken lets a request through when no token is configured, or it
// carries the token as a bearer header, as ?token= or as the cookie. A page
// opened with ?token= gets the cookie and is redirected to the same URL
// without the token, so the token leaves the address bar and the history
// entry that stays. /calendar.ics and /api/* take ?token= without a
// redirect, because calendar clients and scripts keep the URL they were
// given.
func (s *Server) requireToken(c *gin.Context) {
	if s.token == "" {
		c.Next()
		return
	}
	if auth := c.GetHeader("Authorization"); auth != "" {
		scheme, tok, _ := strings.Cut(auth, " ")
		if strings.EqualFold(scheme, "Bearer") && s.tokenMatches(strings.TrimSpace(tok)) {
			c.Next()
			return
		}
		s.unauthorized(c)
		return
	}
	if tok, ok := c.GetQuery("token"); ok {
		if !s.tokenMatches(tok) {
			s.unauthorized(c)
			return
		}
		s.setSessionCookie(c)
		if isPage(c.FullPath()) {
			u := *c.Request.URL
			q := u.Query()
			q.Del("token")
			u.RawQuery = q.Encode()
			c.Redirect(http.StatusSeeOther, u.RequestURI())
			c.Abort()
			return
		}
		c.Next()
		return
	}
	if v, err := c.Cookie(tokenCookie); err == nil && hmac.Equal([]byte(v), []byte(s.sessionValue())) {
		c.Next()
		return
	}
	s.unauthorized(c)
}

// tokenMatches compares in constant time.
func (s *Server) tokenMatches(tok string) bool {
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1
}

func (s *Server) sessionValue() string {
	mac := hmac.New(sha256.New, []byte(s.token))
	mac.Write([]byte("releasebot dashboard session v1"))
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *Server) setSessionCookie(c *gin.Context) {
	secure := c.Request.TLS != nil || strings.EqualFold(c.GetHeader("X-Forwarded-Proto"), "https")
	http.SetCookie(c.Writer, &http.Cookie{
		Name: tokenCookie, Value: s.sessionValue(), Path: "/", MaxAge: cookieMaxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// isPage tells the dashboard's HTML pages from the feed and the API.
func isPage(route string) bool {
	return route != "/calendar.ics" && !strings.HasPrefix(route, "/api/")
}

// unauthorized answers 401 in the form the client expects: JSON for the
// API, plain text for the feed, a page that explains for people.
func (s *Server) unauthorized(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="releasebot"`)
	const msg = "This releasebot needs its dashboard token (RELEASEBOT_DASHBOARD_TOKEN)."
	switch route := c.FullPath(); {
	case strings.HasPrefix(route, "/api/"):
		c.AbortWithStatusJSON(http.StatusUnauthorized, errorJSON{Error: msg + ` Send "Authorization: Bearer TOKEN".`})
	case !isPage(route):
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusUnauthorized, msg+" Subscribe to /calendar.ics?token=TOKEN.\n")
		c.Abort()
	default:
		s.render(c, http.StatusUnauthorized, "login.html", "Sign in", "", nil)
		c.Abort()
	}
}
