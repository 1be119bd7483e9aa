package releases

import "time"

// Opening is one opening of a release window: from Start until End.
type Opening struct {
	Window     string
	Start, End time.Time
}
