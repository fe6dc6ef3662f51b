import { describe, expect, it } from 'vitest';
import { fieldLabel, fieldMessage } from './labels';

describe('field labels', () => {
	it('names API fields as the forms do', () => {
		expect(fieldMessage('password1', ['This password is too common.'])).toBe(
			'Password: this password is too common.'
		);
		expect(fieldMessage('new_password2', ['The two password fields didn’t match.'])).toBe(
			'New password again: the two password fields didn’t match.'
		);
		expect(fieldLabel('some_field')).toBe('Some field');
		expect(fieldLabel('name', { name: 'Display name' })).toBe('Display name');
		expect(fieldMessage('email', ['URL not allowed.'])).toBe('Email: URL not allowed.');
	});
});
