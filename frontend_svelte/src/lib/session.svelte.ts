/** Who is signed in, shared by the pages. */
import { api, ApiError, unwrap, type User } from '$lib/api/client';

class Session {
	user = $state<User | null>(null);
	/** Whether users/me/ has been asked at least once. */
	checked = $state(false);

	/** Ask the API who is signed in; null when nobody is (401/403). */
	async refresh(): Promise<User | null> {
		try {
			this.user = await unwrap(api.GET('/api/v1/users/me/'));
		} catch (err) {
			if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
				this.user = null;
			} else {
				throw err;
			}
		} finally {
			this.checked = true;
		}
		return this.user;
	}

	async logout(): Promise<void> {
		try {
			await unwrap(api.POST('/api/v1/auth/logout/'));
		} finally {
			this.user = null;
		}
	}
}

export const session = new Session();

/** A same-site path to return to after signing in (never another origin). */
export function safeNext(next: string | null | undefined, fallback = '/app'): string {
	if (!next || !next.startsWith('/') || next.startsWith('//')) return fallback;
	return next;
}
