/**
 * The typed API client (openapi-fetch over the generated types) and the fetch
 * wrapper every request goes through: same-origin cookies, and the CSRF token
 * from Django's `csrftoken` cookie on mutating requests.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

/** Every path of the API, from the generated schema. */
export type Paths = paths;

type Models = components['schemas'];
/** A model of the generated schema. */
export type Model<K extends keyof Models> = Models[K];

export type User = Model<'User'>;
export type DataStatus = Model<'DataStatus'>;
/**
 * A plan as the API answers it: `id` is always there in answers (the schema
 * marks it optional because clients may leave it out on create).
 */
export type Plan = Model<'Plan'> & { id: string };
/** A plan as the plans list shows it (no free-form data or data URLs: `GET plans/{id}/` has them). */
export type PlanSummary = Model<'PlanSummary'> & { id: string };
export type PaginatedPlanList = Omit<Model<'PaginatedPlanSummaryList'>, 'results'> & {
	results: PlanSummary[];
};
export type Job = Model<'Job'>;
export type ClimateSummary = Model<'ClimateSummary'>;
export type BuildingCollection = Model<'Buildings'>;
export type BuildingFeature = Model<'BuildingFeature'>;
export type DataKind = 'climate' | 'buildings' | 'canopy';
export type DataState = Model<'DataKindStatus'>;

export const API_PREFIX = '/api/v1';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** The error shape every API error uses. */
export interface ErrorBody {
	error: { code: string; message: string; fields?: Record<string, string[]> };
}

export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly fields: Record<string, string[]>;

	constructor(status: number, code: string, message: string, fields?: Record<string, string[]>) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.fields = fields ?? {};
	}

	/** Build from a response body (the API's error shape, or anything else). */
	static from(status: number, body: unknown): ApiError {
		const error = (body as Partial<ErrorBody> | null)?.error;
		if (error && typeof error === 'object' && typeof error.message === 'string') {
			return new ApiError(status, error.code ?? 'error', error.message, error.fields);
		}
		const fallback =
			status === 0
				? 'The server could not be reached.'
				: status >= 500
					? `The server had a problem (HTTP ${status}). Try again in a moment.`
					: `The request failed (HTTP ${status}).`;
		return new ApiError(status, status === 0 ? 'network' : 'error', fallback);
	}
}

export function readCookie(name: string, cookies: string): string | null {
	for (const part of cookies.split(';')) {
		const [key, ...rest] = part.trim().split('=');
		if (key === name) return decodeURIComponent(rest.join('='));
	}
	return null;
}

export interface ApiFetchOptions {
	/** The underlying fetch (tests pass a fake one). */
	fetch?: typeof fetch;
	/** Where cookies are read from (default: document.cookie). */
	cookies?: () => string;
	/** Where to ask for a CSRF cookie when there is none yet. */
	baseUrl?: string;
}

/**
 * A fetch that sends Django's session cookie and, on mutating requests, the
 * `X-CSRFToken` header (fetching the cookie first from auth/csrf/ if missing).
 */
export function createApiFetch(options: ApiFetchOptions = {}): typeof fetch {
	const baseFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
	const cookies =
		options.cookies ?? (() => (typeof document === 'undefined' ? '' : document.cookie));
	const baseUrl = options.baseUrl ?? '';

	async function csrfToken(): Promise<string | null> {
		const existing = readCookie('csrftoken', cookies());
		if (existing) return existing;
		const response = await baseFetch(`${baseUrl}${API_PREFIX}/auth/csrf/`, {
			credentials: 'same-origin',
			headers: { Accept: 'application/json' }
		});
		if (!response.ok) return null;
		const body = (await response.json()) as { csrf_token?: string };
		return readCookie('csrftoken', cookies()) ?? body.csrf_token ?? null;
	}

	return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
		const request = new Request(input, init);
		const headers = new Headers(request.headers);
		if (!headers.has('Accept')) headers.set('Accept', 'application/json');
		if (!SAFE_METHODS.has(request.method.toUpperCase())) {
			const token = await csrfToken();
			if (token) headers.set('X-CSRFToken', token);
		}
		return baseFetch(new Request(request, { headers, credentials: 'same-origin' }));
	};
}

function defaultBaseUrl(): string {
	return typeof location === 'undefined' ? '' : location.origin;
}

export const apiFetch = createApiFetch({ baseUrl: defaultBaseUrl() });

/** The typed client for the JSON endpoints. */
export const api = createClient<Paths>({ baseUrl: defaultBaseUrl(), fetch: apiFetch });

/**
 * The data of an openapi-fetch result, or an ApiError for an error answer.
 * A network failure (fetch rejects) surfaces as an ApiError with status 0.
 */
export async function unwrap<T>(
	pending: Promise<{ data?: T; error?: unknown; response: Response }>
): Promise<T> {
	let result: { data?: T; error?: unknown; response: Response };
	try {
		result = await pending;
	} catch (err) {
		if (err instanceof DOMException && err.name === 'AbortError') throw err;
		throw ApiError.from(0, null);
	}
	if (!result.response.ok) throw ApiError.from(result.response.status, result.error);
	return result.data as T;
}

/** A UUID for a new plan (the API accepts client-generated ids). */
export function newId(): string {
	if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
	// randomUUID exists only in secure contexts; plain http on a LAN address lacks it.
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	bytes[6] = (bytes[6] & 0x0f) | 0x40;
	bytes[8] = (bytes[8] & 0x3f) | 0x80;
	const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
