/**
 * A moment at the plan's place: a date and a time of day on its clock (its
 * IANA time zone, or the sun's own offset, longitude / 15 hours, where it has
 * none), written as ISO 8601 with that offset, as `sun/shadow/?at=` takes it.
 */

/** Minutes east of UTC of a zone at an instant (Intl's view of the zone). */
export function zoneOffsetMinutes(timeZone: string, instant: Date): number {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone,
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit'
	}).formatToParts(instant);
	const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
	const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
	return Math.round((asUtc - Math.floor(instant.getTime() / 60_000) * 60_000) / 60_000);
}

function pad(value: number, width = 2): string {
	return String(Math.trunc(value)).padStart(width, '0');
}

/** "+02:00" of an offset in minutes. */
export function offsetText(minutes: number): string {
	const sign = minutes < 0 ? '-' : '+';
	const abs = Math.abs(minutes);
	return `${sign}${pad(abs / 60)}:${pad(abs % 60)}`;
}

/**
 * The ISO 8601 moment of `date` ("YYYY-MM-DD") at `minutes` after midnight on
 * the place's clock: its zone's offset at that moment, or the solar offset.
 */
export function momentIso(
	date: string,
	minutes: number,
	timeZone: string | null | undefined,
	lng: number
): string {
	const [y, m, d] = date.split('-').map(Number);
	const local = Date.UTC(y, m - 1, d, 0, minutes);
	let offset = Math.round((lng / 15) * 60);
	if (timeZone) {
		try {
			// Twice: the offset at the guessed instant, then at the corrected one (a DST change).
			offset = zoneOffsetMinutes(timeZone, new Date(local - offset * 60_000));
			offset = zoneOffsetMinutes(timeZone, new Date(local - offset * 60_000));
		} catch {
			// an unknown zone: the solar offset stands
		}
	}
	return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(minutes / 60)}:${pad(minutes % 60)}:00${offsetText(offset)}`;
}

/** "14:15" of minutes after midnight. */
export function clockText(minutes: number): string {
	return `${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

/** "south-east" of an azimuth in degrees from north, clockwise. */
export function compassName(azimuth: number): string {
	const names = [
		'north',
		'north-east',
		'east',
		'south-east',
		'south',
		'south-west',
		'west',
		'north-west'
	];
	return names[Math.round((((azimuth % 360) + 360) % 360) / 45) % 8];
}

/** Today's date on the place's clock, "YYYY-MM-DD". */
export function todayAt(timeZone: string | null | undefined, now: Date = new Date()): string {
	try {
		return new Intl.DateTimeFormat('en-CA', {
			timeZone: timeZone ?? 'UTC',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit'
		}).format(now);
	} catch {
		return now.toISOString().slice(0, 10);
	}
}
