import type {
  CommonPowerSyncDatabase,
  CrudEntry,
  PowerSyncBackendConnector,
  PowerSyncCredentials,
} from "@powersync/common";

/** What POST /api/v1/sync/upload/ says about one op of a batch. */
export interface SyncOpResult {
  index: number;
  op: string | null;
  table: string | null;
  id: string | null;
  status: "applied" | "rejected";
  error?: { code: string; message: string; fields?: Record<string, string[]> };
}

export interface SolarSimConnectorOptions {
  /** The API, e.g. "https://solarsim.example.com/api/v1". */
  apiBase: string;
  /** Headers that sign the person in (an API token); a browser's session cookie needs none. */
  headers?: () => Record<string, string>;
  /** Called for every change the server refused, e.g. to tell the person. */
  onRejected?: (entry: CrudEntry, result: SyncOpResult) => void;
}

export class SolarSimConnector implements PowerSyncBackendConnector {
  constructor(private readonly options: SolarSimConnectorOptions) {}

  /** A fresh sync token for the PowerSync service; null while signed out. */
  async fetchCredentials(): Promise<PowerSyncCredentials | null> {
    const response = await fetch(`${this.options.apiBase}/sync/token/`, {
      credentials: "include",
      headers: this.options.headers?.() ?? {},
    });
    if (response.status === 401 || response.status === 403) return null;
    if (!response.ok) throw new Error(`sync/token/ answered ${response.status}`);
    const body = await response.json();
    return { endpoint: body.endpoint, token: body.token, expiresAt: new Date(body.expires_at) };
  }

  /** Sends the queued changes; the server answers each op, so the batch is done either way. */
  async uploadData(database: CommonPowerSyncDatabase): Promise<void> {
    const batch = await database.getCrudBatch(100);
    if (!batch) return;
    const credentials = await this.fetchCredentials();
    if (!credentials) throw new Error("Signed out: the changes stay queued until the next sign-in.");
    const response = await fetch(`${this.options.apiBase}/sync/upload/`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${credentials.token}` },
      body: JSON.stringify({
        batch: batch.crud.map((entry) => ({ op: entry.op, table: entry.table, id: entry.id, data: entry.opData })),
      }),
    });
    // 401 (expired token), 503 (database down), a network error: throw, and the
    // SDK retries the same batch a few seconds later with a new token.
    if (!response.ok) throw new Error(`sync/upload/ answered ${response.status}`);
    const { results } = (await response.json()) as { results: SyncOpResult[] };
    for (const result of results) {
      if (result.status === "rejected") this.options.onRejected?.(batch.crud[result.index], result);
    }
    // Rejected changes are not retried: the server's version of those rows
    // replaces them on the device when sync brings it down.
    await batch.complete();
  }
}
