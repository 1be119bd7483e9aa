package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/releases"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one template set per page: the layout, the shared partials
// and the page's own "content". html/template escapes every value by
// context, so text from users and deployers can't inject markup.
type pages struct {
	sets map[string]*template.Template
}

func loadPages(funcs template.FuncMap) *pages {
	p := &pages{sets: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" || base == "partials.html" {
			continue
		}
		// The templates are compiled into the binary and checked by the
		// tests, so a parse error is a build mistake.
		p.sets[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/partials.html", name))
	}
	return p
}

// layoutData is what the layout shows around every page.
type layoutData struct {
	Title     string
	Nav       string // "releases" or "windows": the current section
	Zone      string
	RequestID string
	CSS, JS   string // asset URLs with a content hash
	Body      any
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (s *Server) render(c *gin.Context, status int, page, title, nav string, body any) {
	set, ok := s.pages.sets[page]
	if !ok {
		panic("web: no page " + page)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	data := layoutData{Title: title, Nav: nav, Zone: s.loc.String(), RequestID: RequestID(c.Request.Context()),
		CSS: s.assets.url("style.css"), JS: s.assets.url("app.js"), Body: body}
	if err := set.ExecuteTemplate(buf, "layout", data); err != nil {
		s.logger(c).ErrorContext(c.Request.Context(), "render page", "page", page, "err", err)
		c.Header("Content-Type", "text/plain; charset=utf-8")
		c.String(http.StatusInternalServerError, "Internal error.\n")
		return
	}
	pageHeaders(c)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// pageHeaders keep the pages to their own scripts and styles, out of
// frames, and the dashboard's URLs out of the Referer sent to deployers'
// CI links.
func pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

// errorPage shows err to people: its own sentence for errors of the
// domain, "Internal error" with the request id for anything else, which is
// logged.
func (s *Server) errorPage(c *gin.Context, err error) {
	status := statusFor(releases.ErrorCode(err))
	msg := releases.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		s.logger(c).ErrorContext(c.Request.Context(), "web request failed",
			"method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		if id := RequestID(c.Request.Context()); id != "" {
			msg = fmt.Sprintf("Internal error (request %s).", id)
		}
	}
	s.render(c, status, "error.html", http.StatusText(status), "", struct {
		Status  int
		Message string
	}{status, msg})
}

// timeView is an instant as the pages show it: in the configured zone,
// with UTC in the title attribute (hover) and RFC 3339 in datetime.
type timeView struct {
	Local string // "Tue 1 Dec 2026, 11:02 CET"
	Short string // "1 Dec, 11:02" (with the year when it is not this year's)
	Clock string // "11:02"
	UTC   string // "2026-12-01 10:02:03 UTC"
	ISO   string // "2026-12-01T10:02:03Z"
}

func (s *Server) timeView(t time.Time) timeView {
	if t.IsZero() {
		return timeView{}
	}
	l := t.In(s.loc)
	short := "2 Jan, 15:04"
	if l.Year() != s.now().In(s.loc).Year() {
		short = "2 Jan 2006, 15:04"
	}
	u := t.UTC()
	return timeView{
		Local: l.Format("Mon 2 Jan 2006, 15:04 MST"),
		Short: l.Format(short),
		Clock: l.Format("15:04"),
		UTC:   u.Format("2006-01-02 15:04:05 UTC"),
		ISO:   u.Format(time.RFC3339),
	}
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"user": func(id string) string { return s.userName(id) },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"statusText": statusWords,
		"list":       func(t teamView) []teamView { return []teamView{t} },
	}
}

// assets are the embedded CSS and JS, served with a content hash in their
// URL so browsers may cache them for long.
type assets struct {
	files map[string]asset
}

type asset struct {
	body  []byte
	ctype string
	hash  string
}

func loadAssets() *assets {
	a := &assets{files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		a.files[strings.TrimPrefix(p, "static/")] = asset{body: body, ctype: ctype, hash: hex.EncodeToString(sum[:6])}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return a
}

func (a *assets) url(name string) string {
	return "/static/" + name + "?v=" + a.files[name].hash
}

// static serves the embedded assets; they hold no data, so they need no
// token (and the sign-in page can use them).
func (s *Server) static(c *gin.Context) {
	f, ok := s.assets.files[strings.TrimPrefix(c.Param("file"), "/")]
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, f.ctype, f.body)
}
