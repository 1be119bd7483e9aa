// Package scheduler knows when things may happen and makes them happen
// once.
//
// The Calendar is a pure view of time: each window's openings (cron in the
// configured zone, or the window's own CRON_TZ=), the freezes from the
// configuration and those declared in chat, and the one-off start times of
// releases. It is the release service's releases.Gate: a ready release with
// a window starts when the window opens, or at once if it becomes ready
// while the window is open; one without a window starts at once; one with
// `--at` at that time; nothing starts while a freeze holds, except with a
// release manager's `deploy --override "reason"`.
//
// The Scheduler fires the calendar's jobs:
//
//   - window:NAME at each opening: the window's ready releases start; those
//     a freeze holds are told, once, in their threads, that they skip this
//     opening and when they will go instead.
//   - reminder:NAME, reminders.before_window before each opening: every
//     team still missing sign-offs for a release in that window is nudged
//     once in its channel, naming its leads. An opening a freeze holds gets
//     no reminders.
//   - summary:NAME on its schedule: what was deployed, failed and rolled
//     back since the previous summary, what waits and who blocks it, the
//     next windows and freezes, and the DORA figures of the last configured
//     environment over 30 days (see releases.DORA for their definitions);
//     posted to the summary's channel and as a direct message to each user.
//
// Exactly once across replicas: every firing is claimed in the database
// under (job, scheduled time) before it acts, with a lease; a firing whose
// replica died mid-way is taken over once the lease lapses (its actions are
// idempotent), and given up as failed after five attempts. What it says in
// chat goes through the chat outbox under a key derived from the firing.
//
// Nothing is dropped silently: replicas record how far they handled each
// job, and a replica that starts after all were down looks at what came due
// meanwhile. The latest firing of each job acts if it is still worth it —
// its window is still open, its reminder's window has not opened, its
// summary is less than six hours late — and every other one is recorded as
// missed, with why, and logged.
//
// Daylight saving time: a wall-clock time that does not exist (02:30 on
// the spring-forward day in Europe/Berlin) is skipped, as cron does; one
// that shows twice in autumn fires once, at the first, unless the
// schedule's hour field is "*" (it runs every hour, so in both). `/release
// windows` says which openings the coming clock changes touch.
//
// Time is injected: tests move a clock and call Tick; servers call Run,
// which ticks on every whole second.
package scheduler
