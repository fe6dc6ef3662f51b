"""Garden plans: how big a plan and a batch may be, how long Undo lasts, what a plan page shows.
Nothing here comes from the environment (docs/plans.md)."""

# Largest `data` of a plan, as compact UTF-8 JSON (bytes), and its deepest nesting.
PLAN_DATA_MAX_BYTES = 256 * 1024
PLAN_DATA_MAX_DEPTH = 32
# Most operations in one POST plans/batch/ request.
PLANS_BATCH_MAX_OPS = 100
# A deleted plan can be restored (Undo) this many seconds; then it is purged
# (docs/plans.md, decisions/0014).
PLAN_RESTORE_SECONDS = 600
# Largest JSON body the plans endpoints read (bytes); bigger → 413.
PLANS_REQUEST_MAX_BYTES = 4 * 1024 * 1024
# A plan page shows (and its prefetch fetches) buildings this many degrees
# around the plan's point.
PLAN_BUILDINGS_RADIUS_DEGREES = 0.0015
# A plan's report (PDF) is kept at most this long after it was built, however
# long its data stays fresh (docs/plans.md, "Report and export").
REPORT_KEEP_SECONDS = 7 * 24 * 3600
