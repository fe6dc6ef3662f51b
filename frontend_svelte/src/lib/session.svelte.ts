/** Who is signed in, shared by the pages. */
import { api, ApiError, unwrap, type User } from '$lib/api/client';
import { unitsOf, type Units } from '$lib/units';

class Session {
	user = $state<User | null>(null);
	/** Whether users/me/ has been asked at least once. */
	checked = $state(false);
	/** The person's units (metric until signed in or chosen otherwise). */
	units = $derived<Units>(unitsOf(this.user?.units));

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

	/** Who is signed in, asking the API only the first time; null when nobody or unreachable. */
	async known(): Promise<User | null> {
		if (this.checked) return this.user;
		try {
			return await this.refresh();
		} catch {
			return null;
		}
	}

	/** Change the account's name or units; the new account is everyone's at once. */
	async update(changes: { name?: string; units?: Units }): Promise<User> {
		this.user = await unwrap(api.PATCH('/api/v1/users/me/', { body: changes }));
		return this.user;
	}

	async logout(): Promise<void> {
		try {
			await unwrap(api.POST('/api/v1/auth/logout/'));
		} finally {
			this.user = null;
		}
	}

	/** After the account was deleted: nobody is signed in any more. */
	forget(): void {
		this.user = null;
		this.checked = true;
	}
}

export const session = new Session();

/** A same-site path to return to after signing in (never another origin). */
export function safeNext(next: string | null | undefined, fallback = '/app'): string {
	if (!next || !next.startsWith('/') || next.startsWith('//')) return fallback;
	return next;
}
