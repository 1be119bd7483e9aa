package slack

import (
	"net/http"
	"sync"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/releasebot/releasebot/bot"
)

// replyEphemeral answers m as a reply only the invoking user sees, the
// bytes encoding/json makes of ephemeralJSON(m). Most answers are text in
// sections, whose JSON is written here directly: through reflection and
// slack-go's block types it was 7% of serve's CPU on `status`.
func replyEphemeral(c *gin.Context, m bot.Message) {
	buf := replyBufs.Get().(*[]byte)
	b, ok := appendEphemeral((*buf)[:0], m)
	if !ok {
		replyBufs.Put(buf)
		c.JSON(http.StatusOK, ephemeralJSON(m))
		return
	}
	c.Render(http.StatusOK, jsonBytes(b)) // copied to the connection's buffer, or written out, before it returns
	if cap(b) <= maxPooledReply {
		*buf = b
		replyBufs.Put(buf)
	}
}

// replyBufs hold the encoded answers of earlier requests, for the next.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledReply bounds the buffers kept: a long list's answer is rare.
const maxPooledReply = 64 << 10

// jsonBytes renders JSON already encoded, with the headers gin's JSON
// render sets.
type jsonBytes []byte

var jsonContentType = []string{"application/json; charset=utf-8"}

func (j jsonBytes) Render(w http.ResponseWriter) error {
	j.WriteContentType(w)
	_, err := w.Write(j)
	return err
}

func (jsonBytes) WriteContentType(w http.ResponseWriter) {
	if h := w.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
}

// appendEphemeral appends the JSON of ephemeralJSON(m) to dst when every
// block of m is a section of text alone; ok is false for any other block.
func appendEphemeral(dst []byte, m bot.Message) (_ []byte, ok bool) {
	for _, b := range m.Blocks {
		if b.Kind != bot.BlockSection || len(b.Fields) > 0 {
			return dst, false
		}
	}
	dst = append(dst, '{')
	var same []byte // m.Text encoded already: the one section of most answers
	if len(m.Blocks) > 0 {
		dst = append(dst, `"blocks":[`...)
		for i, b := range m.Blocks {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"type":"section","text":{"type":"mrkdwn","text":`...)
			start := len(dst)
			dst = appendJSONString(dst, b.Text)
			if b.Text == m.Text {
				same = dst[start:]
			}
			dst = append(dst, `}}`...)
		}
		dst = append(dst, `],`...)
	}
	dst = append(dst, `"response_type":"ephemeral","text":`...)
	if same != nil {
		dst = append(dst, same...)
	} else {
		dst = appendJSONString(dst, m.Text)
	}
	return append(dst, '}'), true
}

// appendJSONString appends s as encoding/json writes a string: quoted,
// with <, > and & escaped for HTML, invalid UTF-8 as U+FFFD, and U+2028
// and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
