// Runs the connector of docs/sync.md (connector.ts, compiled by `tsc` into
// build/) against a real API: fetchCredentials, then uploadData on a CRUD
// batch read from stdin, with a stand-in database that hands out that batch.
//
//   echo '{"apiBase": URL, "apiToken": KEY, "crud": [{"op", "table", "id", "opData"}]}' | node run-connector.mjs
//
// Prints {"credentials", "completed", "rejected": [{"id", "result"}], "error"}.
import { CrudBatch } from "@powersync/common";
import { SolarSimConnector } from "./build/connector.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const rejected = [];
const connector = new SolarSimConnector({
  apiBase: request.apiBase,
  headers: () => (request.apiToken ? { Authorization: `Token ${request.apiToken}` } : {}),
  onRejected: (entry, result) => rejected.push({ id: entry.id, result }),
});
let completed = false;
const entries = request.crud.map((entry, index) => ({ clientId: index + 1, transactionId: 1, ...entry }));
const batch = new CrudBatch(entries, false, async () => {
  completed = true;
});
const database = { getCrudBatch: async () => batch };

const output = { credentials: null, completed: false, rejected, error: null };
try {
  output.credentials = await connector.fetchCredentials();
  await connector.uploadData(database);
} catch (error) {
  output.error = error.message;
}
output.completed = completed;
console.log(JSON.stringify(output));
