/**
 * What the API's field names are called on the page, so that messages speak
 * of "Password", not "password1".
 */
const LABELS: Record<string, string> = {
	email: 'Email',
	name: 'Name',
	password: 'Password',
	password1: 'Password',
	password2: 'Password again',
	old_password: 'Current password',
	new_password1: 'New password',
	new_password2: 'New password again',
	token: 'Reset link',
	uid: 'Reset link',
	key: 'Confirmation link',
	units: 'Units',
	latitude: 'Latitude',
	longitude: 'Longitude',
	location: 'Location',
	coordinates: 'Coordinates',
	address: 'Place',
	timezone: 'Time zone',
	archived: 'Archived',
	data: 'Plan details',
	q: 'Place or address'
};

/** The label of an API field ("password1" → "Password"). */
export function fieldLabel(name: string, overrides: Record<string, string> = {}): string {
	if (overrides[name]) return overrides[name];
	if (LABELS[name]) return LABELS[name];
	const words = name.replace(/[_.]+/g, ' ').trim();
	return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "This password is too common." after a label: "this password is too common." */
export function afterLabel(message: string): string {
	// Keep capitals that start an acronym or a name in capitals ("URL", "CSRF").
	if (/^[A-Z][A-Z]/.test(message)) return message;
	return message.charAt(0).toLowerCase() + message.slice(1);
}

/** One line per field: "Password: this password is too common." */
export function fieldMessage(
	name: string,
	messages: string[],
	overrides: Record<string, string> = {}
) {
	return `${fieldLabel(name, overrides)}: ${afterLabel(messages.join(' '))}`;
}
