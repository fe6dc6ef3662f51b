/** Parse latitude/longitude text fields; returns the numbers or field errors. */
export function parseLocation(
	latitude: string,
	longitude: string
): { ok: true; lat: number; lng: number } | { ok: false; fields: Record<string, string[]> } {
	const fields: Record<string, string[]> = {};
	const lat = Number(String(latitude).trim().replace(',', '.'));
	const lng = Number(String(longitude).trim().replace(',', '.'));
	if (String(latitude).trim() === '' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
		fields.latitude = ['Enter a latitude between -90 and 90.'];
	}
	if (String(longitude).trim() === '' || !Number.isFinite(lng) || lng < -180 || lng > 180) {
		fields.longitude = ['Enter a longitude between -180 and 180.'];
	}
	return Object.keys(fields).length ? { ok: false, fields } : { ok: true, lat, lng };
}
