/**
 * Temperatures and lengths in the units a person chose on the account page
 * (`users/me/` `units`): metric (°C, metres) or imperial (°F, feet). The API
 * always speaks °C and metres; only what is shown changes.
 */

export type Units = 'metric' | 'imperial';

export const UNIT_CHOICES: { value: Units; label: string }[] = [
	{ value: 'metric', label: 'Metric: °C and metres' },
	{ value: 'imperial', label: 'US customary: °F and feet' }
];

const FEET_PER_METRE = 1 / 0.3048;

export function unitsOf(value: string | null | undefined): Units {
	return value === 'imperial' ? 'imperial' : 'metric';
}

/** A temperature in °C, in the chosen units. */
export function temperature(celsius: number, units: Units): number {
	return units === 'imperial' ? (celsius * 9) / 5 + 32 : celsius;
}

export function temperatureSymbol(units: Units): string {
	return units === 'imperial' ? '°F' : '°C';
}

/** "12.5 °C" / "54.5 °F"; "–" when unknown. */
export function formatTemperature(
	celsius: number | null | undefined,
	units: Units,
	digits = 1
): string {
	if (celsius === null || celsius === undefined || !Number.isFinite(celsius)) return '–';
	return `${temperature(celsius, units).toFixed(digits)} ${temperatureSymbol(units)}`;
}

/** The frost threshold (0 °C) in the chosen units, for labels. */
export function frostLine(units: Units): string {
	return units === 'imperial' ? '32 °F' : '0 °C';
}

/** A length in metres, in the chosen units (metres or feet). */
export function length(metres: number, units: Units): number {
	return units === 'imperial' ? metres * FEET_PER_METRE : metres;
}

export function lengthSymbol(units: Units): string {
	return units === 'imperial' ? 'ft' : 'm';
}

/** "12 m" / "39 ft"; "–" when unknown. */
export function formatLength(metres: number | null | undefined, units: Units, digits = 0): string {
	if (metres === null || metres === undefined || !Number.isFinite(metres)) return '–';
	return `${length(metres, units).toFixed(digits)} ${lengthSymbol(units)}`;
}
