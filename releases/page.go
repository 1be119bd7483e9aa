package releases

import "context"

// Page is one page of a listing, newest first, and how many releases the
// listing holds in all: answers to people show a page and say how many
// more there are, never every match.
type Page struct {
	Releases []Release
	Total    int // matches in all, from the page's first on
}

// More is how many matches the page leaves out.
func (p Page) More() int { return max(p.Total-len(p.Releases), 0) }

// ListPage is List with the number of matches: one query with LIMIT for
// the page and, when the page is full, one COUNT.
//
// Errors: as List.
func (s *Coordinator) ListPage(ctx context.Context, f Filter) (Page, error) {
	rs, err := s.List(ctx, f)
	if err != nil {
		return Page{}, err
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	p := Page{Releases: rs, Total: len(rs)}
	if len(rs) < limit {
		return p, nil
	}
	if p.Total, err = s.store.Count(ctx, f); err != nil {
		return Page{}, s.fail("count releases", err)
	}
	return p, nil
}
