import { describe, expect, it } from 'vitest';
import { ApiError } from './api/client';
import { formFailure } from './forms';

describe('formFailure', () => {
	it('puts field errors under their fields and a general message on top', () => {
		const failure = formFailure(
			new ApiError(400, 'invalid', 'password2: mismatch', { password2: ['mismatch'] })
		);
		expect(failure).toEqual({
			message: 'Please correct the fields below.',
			fields: { password2: ['mismatch'] }
		});
	});

	it('shows non-field errors as the message', () => {
		const failure = formFailure(
			new ApiError(400, 'invalid', 'x', {
				non_field_errors: ['Unable to log in with provided credentials.']
			})
		);
		expect(failure.message).toBe('Unable to log in with provided credentials.');
	});

	it('explains throttling, ended sessions and network failures', () => {
		expect(
			formFailure(new ApiError(429, 'throttled', 'Too many failed login attempts.')).message
		).toBe('Too many failed login attempts.');
		expect(formFailure(new ApiError(401, 'not_authenticated', 'x')).message).toMatch(
			/Log in again/
		);
		expect(formFailure(new TypeError('boom'), 'Could not save.').message).toBe('Could not save.');
	});
});
