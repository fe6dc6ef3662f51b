/**
 * Coordinates as people paste them, read into a latitude and longitude.
 *
 * Accepted: decimal degrees (`45.52, -122.68`, `45.52 -122.68`, `45,52; -122,68`),
 * degrees with hemisphere letters before or after (`45.52 N 122.68 W`,
 * `N 45.52° W 122.68°`), and degrees, minutes and seconds (`45°31′N 122°41′W`,
 * `45°31'12"N, 122°41'24"W`, `45° 31.2' N`). The latitude comes first unless
 * the letters say otherwise (`122.68 W 45.52 N`).
 */

export type ParsedCoordinates =
	{ ok: true; lat: number; lng: number } | { ok: false; message: string };

type Token =
	| { kind: 'number'; value: number; unit: 'deg' | 'min' | 'sec' | null; integer: boolean }
	| { kind: 'hemisphere'; letter: 'N' | 'S' | 'E' | 'W' }
	| { kind: 'sign'; negative: boolean }
	| { kind: 'separator' };

interface Component {
	degrees: number;
	minutes: number | null;
	seconds: number | null;
	hemisphere: 'N' | 'S' | 'E' | 'W' | null;
	negative: boolean;
	wholeDegrees: boolean;
}

const EXAMPLE = 'for example 45.52, -122.68 or 45°31′N 122°41′W';

function fail(message: string): ParsedCoordinates {
	return { ok: false, message };
}

/** The same text with the many ways of writing °, ′, ″ and minus reduced to one each. */
function normalise(text: string): string {
	return text
		.normalize('NFKC')
		.replace(/[º˚∘]/g, '°')
		.replace(/[′’‘`´]/g, "'")
		.replace(/[″“”]|''/g, '"')
		.replace(/[−–—]/g, '-')
		.trim();
}

/** Whether commas in ``text`` are decimal commas (`45,52; -122,68` or `45,52 -122,68`). */
function decimalCommas(text: string): boolean {
	if (text.includes('.')) return false;
	if (text.includes(';')) return true;
	return /^[+-]?\d+,\d+\s+[+-]?\d+,\d+$/.test(text);
}

function tokenise(text: string): Token[] | null {
	const commasAreDecimal = decimalCommas(text);
	const tokens: Token[] = [];
	const pattern = commasAreDecimal
		? /\s*(?:(\d+(?:,\d+)?)\s*([°'"])?|([NSEWnsew])|([+-])|(;))/y
		: /\s*(?:(\d+(?:\.\d+)?)\s*([°'"])?|([NSEWnsew])|([+-])|([,;]))/y;
	let at = 0;
	while (at < text.length) {
		pattern.lastIndex = at;
		const match = pattern.exec(text);
		if (!match) {
			if (/^\s*$/.test(text.slice(at))) break;
			return null;
		}
		at = pattern.lastIndex;
		const [, number, unit, letter, sign] = match;
		if (number !== undefined) {
			const units = { '°': 'deg', "'": 'min', '"': 'sec' } as const;
			tokens.push({
				kind: 'number',
				value: Number(number.replace(',', '.')),
				unit: unit ? units[unit as keyof typeof units] : null,
				integer: !/[.,]/.test(number)
			});
		} else if (letter !== undefined) {
			tokens.push({ kind: 'hemisphere', letter: letter.toUpperCase() as 'N' | 'S' | 'E' | 'W' });
		} else if (sign !== undefined) {
			tokens.push({ kind: 'sign', negative: sign === '-' });
		} else {
			tokens.push({ kind: 'separator' });
		}
	}
	return tokens;
}

/** Group tokens into coordinates: [sign | letter] degrees [minutes ′] [seconds ″] [letter]. */
function components(tokens: Token[]): Component[] | string {
	const found: Component[] = [];
	let i = 0;
	const peek = () => tokens[i];
	while (i < tokens.length) {
		let token = peek();
		if (token.kind === 'separator') {
			i++;
			continue;
		}
		let lead: Component['hemisphere'] = null;
		let negative = false;
		if (token.kind === 'hemisphere') {
			lead = token.letter;
			token = tokens[++i];
		} else if (token.kind === 'sign') {
			negative = token.negative;
			token = tokens[++i];
		}
		if (!token || token.kind !== 'number' || (token.unit !== null && token.unit !== 'deg')) {
			return `Each coordinate needs its degrees (${EXAMPLE}).`;
		}
		const component: Component = {
			degrees: token.value,
			minutes: null,
			seconds: null,
			hemisphere: lead,
			negative,
			wholeDegrees: token.integer
		};
		const degreeSymbol = token.unit === 'deg';
		i++;
		token = peek();
		// Minutes: marked ′, or a bare number right after a number marked °.
		if (
			token?.kind === 'number' &&
			(token.unit === 'min' || (degreeSymbol && token.unit === null))
		) {
			component.minutes = token.value;
			i++;
			token = peek();
			if (token?.kind === 'number' && token.unit === 'sec') {
				component.seconds = token.value;
				i++;
				token = peek();
			}
		}
		if (token?.kind === 'hemisphere' && lead === null) {
			component.hemisphere = token.letter;
			i++;
		}
		found.push(component);
	}
	return found;
}

function degreesOf(component: Component): number | string {
	const { degrees, minutes, seconds } = component;
	if (minutes !== null) {
		if (!component.wholeDegrees) return 'With minutes, give whole degrees (45°31′, not 45.5°31′).';
		if (minutes >= 60) return 'Minutes go from 0 to 59.';
	}
	if (seconds !== null && seconds >= 60) return 'Seconds go from 0 to 59.';
	return degrees + (minutes ?? 0) / 60 + (seconds ?? 0) / 3600;
}

const AXIS = { N: 'lat', S: 'lat', E: 'lng', W: 'lng' } as const;

/** Read pasted coordinates; a message for people when they cannot be read. */
export function parseCoordinates(input: string): ParsedCoordinates {
	const text = normalise(input ?? '');
	if (!text) return fail(`Enter the coordinates, ${EXAMPLE}.`);
	const tokens = tokenise(text);
	if (!tokens)
		return fail(`These do not look like coordinates: use numbers, and N, S, E or W (${EXAMPLE}).`);
	const parts = components(tokens);
	if (typeof parts === 'string') return fail(parts);
	if (parts.length !== 2) {
		return fail(`Enter two coordinates, the latitude and the longitude (${EXAMPLE}).`);
	}
	let [first, second] = parts;
	for (const part of parts) {
		if (part.negative && part.hemisphere) {
			return fail('Use either a minus sign or N, S, E or W, not both.');
		}
	}
	const axes = [first, second].map((part) => (part.hemisphere ? AXIS[part.hemisphere] : null));
	if (axes[0] !== null && axes[0] === axes[1]) {
		return fail('Give one latitude (N or S) and one longitude (E or W).');
	}
	if (axes[0] === 'lng' || axes[1] === 'lat') [first, second] = [second, first];
	const values: number[] = [];
	for (const part of [first, second]) {
		const value = degreesOf(part);
		if (typeof value === 'string') return fail(value);
		const negative = part.negative || part.hemisphere === 'S' || part.hemisphere === 'W';
		values.push(negative ? -value : value);
	}
	const [lat, lng] = values;
	if (!(Math.abs(lat) <= 90)) return fail('The latitude must be between 90° S and 90° N.');
	if (!(Math.abs(lng) <= 180)) return fail('The longitude must be between 180° W and 180° E.');
	// Round off the noise of minutes and seconds (1e-7° is about a centimetre).
	const round = (value: number) => Math.round(value * 1e7) / 1e7 + 0;
	return { ok: true, lat: round(lat), lng: round(lng) };
}
