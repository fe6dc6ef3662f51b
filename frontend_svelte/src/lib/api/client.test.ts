import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiFetch, newId, readCookie } from './client';

const ORIGIN = 'http://app.test';

function recorder(cookieJar: { value: string }) {
	const requests: Request[] = [];
	const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
		const request = new Request(input, init);
		requests.push(request);
		if (new URL(request.url).pathname === '/api/v1/auth/csrf/') {
			cookieJar.value = 'csrftoken=fresh-token';
			return Response.json({ csrf_token: 'fresh-token' });
		}
		return Response.json({ ok: true });
	});
	return { fetch: fetchFn as unknown as typeof fetch, requests };
}

describe('createApiFetch', () => {
	it('sends no CSRF token on safe requests', async () => {
		const jar = { value: 'csrftoken=abc' };
		const server = recorder(jar);
		const apiFetch = createApiFetch({
			fetch: server.fetch,
			cookies: () => jar.value,
			baseUrl: ORIGIN
		});
		await apiFetch(`${ORIGIN}/api/v1/plans/`);
		expect(server.requests).toHaveLength(1);
		expect(server.requests[0].headers.get('X-CSRFToken')).toBeNull();
		expect(server.requests[0].headers.get('Accept')).toBe('application/json');
		expect(server.requests[0].credentials).toBe('same-origin');
	});

	it('sends the csrftoken cookie as X-CSRFToken on mutating requests', async () => {
		const jar = { value: 'sessionid=s; csrftoken=abc%3D' };
		const server = recorder(jar);
		const apiFetch = createApiFetch({
			fetch: server.fetch,
			cookies: () => jar.value,
			baseUrl: ORIGIN
		});
		for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
			await apiFetch(`${ORIGIN}/api/v1/plans/x/`, {
				method,
				body: method === 'DELETE' ? null : '{}'
			});
		}
		expect(server.requests.map((r) => [r.method, r.headers.get('X-CSRFToken')])).toEqual([
			['POST', 'abc='],
			['PUT', 'abc='],
			['PATCH', 'abc='],
			['DELETE', 'abc=']
		]);
	});

	it('asks auth/csrf/ for a token first when there is no cookie yet', async () => {
		const jar = { value: '' };
		const server = recorder(jar);
		const apiFetch = createApiFetch({
			fetch: server.fetch,
			cookies: () => jar.value,
			baseUrl: ORIGIN
		});
		await apiFetch(
			new Request(`${ORIGIN}/api/v1/auth/login/`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: '{"email":"a@b.c"}'
			})
		);
		expect(server.requests.map((r) => new URL(r.url).pathname)).toEqual([
			'/api/v1/auth/csrf/',
			'/api/v1/auth/login/'
		]);
		const login = server.requests[1];
		expect(login.headers.get('X-CSRFToken')).toBe('fresh-token');
		expect(login.headers.get('Content-Type')).toBe('application/json');
		expect(await login.text()).toBe('{"email":"a@b.c"}');
	});
});

describe('ApiError.from', () => {
	it('reads the API error shape', () => {
		const error = ApiError.from(400, {
			error: { code: 'invalid', message: 'name: required.', fields: { name: ['required.'] } }
		});
		expect(error).toMatchObject({
			status: 400,
			code: 'invalid',
			message: 'name: required.',
			fields: { name: ['required.'] }
		});
	});

	it('falls back to a readable message for other bodies', () => {
		expect(ApiError.from(502, '<html>').message).toMatch(/server had a problem/);
		expect(ApiError.from(0, null)).toMatchObject({ code: 'network' });
	});
});

describe('helpers', () => {
	it('reads cookies', () => {
		expect(readCookie('csrftoken', 'a=1; csrftoken=x%20y; b=2')).toBe('x y');
		expect(readCookie('csrftoken', 'a=1')).toBeNull();
	});

	it('makes v4 UUIDs', () => {
		expect(newId()).toMatch(
			/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
		);
	});
});
