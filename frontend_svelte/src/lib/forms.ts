import { ApiError } from '$lib/api/client';

export interface FormFailure {
	message: string;
	fields: Record<string, string[]>;
}

/** What to tell the person when a form submission fails. */
export function formFailure(err: unknown, fallback = 'That did not work. Try again.'): FormFailure {
	if (err instanceof ApiError) {
		if (err.status === 401 || err.status === 403) {
			return { message: 'Your session has ended. Log in again to continue.', fields: {} };
		}
		if (err.status === 429) {
			return {
				message: err.message || 'Too many attempts. Wait a little and try again.',
				fields: {}
			};
		}
		const fields = err.fields ?? {};
		const general = fields.non_field_errors?.join(' ');
		const hasFieldErrors = Object.keys(fields).some((k) => k !== 'non_field_errors');
		return {
			message: general ?? (hasFieldErrors ? 'Please correct the fields below.' : err.message),
			fields
		};
	}
	return { message: fallback, fields: {} };
}
