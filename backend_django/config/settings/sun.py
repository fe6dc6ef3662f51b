"""Sun and shade (backend_django/upstream/kinds/sun, docs/sun.md): the site grid, the square, the sampling.
Nothing here comes from the environment."""

# Sites are points snapped to this grid (degrees; keep it well under SUN_SIZE_M
# so every point lies inside its site's square); each gets a square of
# SUN_SIZE_M metres in cells of SUN_CELL_M metres, sampled every
# SUN_STEP_MINUTES (must divide a day) on one day of each month (SUN_DAYS,
# MM-DD, January first), counting the sun above SUN_MIN_ALTITUDE_DEGREES; the
# surface model reaches at most SUN_MARGIN_MAX_M beyond the square (the longest
# shadow that counts: tallest obstacle / tan(min altitude), capped).
SUN_SITE_GRID_DEGREES = 0.0005
SUN_SIZE_M = 100.0
SUN_CELL_M = 1.0
SUN_STEP_MINUTES = 15
SUN_MIN_ALTITUDE_DEGREES = 5.0
SUN_MARGIN_MAX_M = 200.0
# Klein's (1977) average days: the day of each month whose extraterrestrial radiation is
# closest to the month's mean.
SUN_DAYS = "01-17,02-16,03-16,04-15,05-15,06-11,07-17,08-16,09-15,10-15,11-14,12-10"
