// Checks the repository's PowerSync configuration with the service's own code:
//   - the service config (YAML, `!env PS_*` tags resolved from the given
//     environment as the service does) against the service's JSON schema
//     (@powersync/service-schema);
//   - the sync config it names, parsed by @powersync/service-sync-rules against
//     the source table's column types, then evaluated: which bucket each given
//     row lands in, and which buckets a token's payload subscribes to.
//
//   echo '{"serviceConfig": PATH, "env": {...}, "tables": [{"name", "columns": [{"name", "pg_type"}]}],
//          "rows": [{"table", "record"}], "tokens": [{"sub": "1"}]}' | node check-config.mjs
//
// Prints one JSON object: {"service": {"valid", "errors", "config"}, "sync": {"errors",
// "rows": [[{"bucket", "table", "id", "data"}]], "buckets": [[bucket ids]]}}.
// Integer and boolean columns are passed to the evaluator as BigInt, as the
// service's replication does (PostgreSQL booleans become 1/0).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import Ajv from "ajv";
import YAML from "yaml";

// The service runs on Node 22+; the sync-rules compiler uses Object.groupBy (Node 21+).
if (!Object.groupBy) {
  Object.groupBy = (items, keyOf) => {
    const groups = Object.create(null);
    let index = 0;
    for (const item of items) (groups[keyOf(item, index++)] ??= []).push(item);
    return groups;
  };
}
const rules = await import("@powersync/service-sync-rules");
const require = createRequire(import.meta.url);

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));

// The service's `!env` tag: PS_-prefixed variables only, optional ::number / ::boolean.
const envErrors = [];
const envTag = {
  tag: "!env",
  resolve(name) {
    const [variable, type = "string"] = name.split("::");
    if (!variable.startsWith("PS_")) envErrors.push(`${variable}: only PS_ variables may be substituted`);
    const value = request.env?.[variable];
    if (value === undefined) {
      envErrors.push(`${variable} is not set`);
      return name;
    }
    if (type === "number") return Number(value);
    if (type === "boolean") return value.toLowerCase() === "true";
    return value;
  },
};
const serviceText = fs.readFileSync(request.serviceConfig, "utf8");
const serviceConfig = YAML.parse(serviceText, { customTags: [envTag] });
const schema = JSON.parse(
  fs.readFileSync(require.resolve("@powersync/service-schema/schema.json"), "utf8"),
);
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const valid = validate(serviceConfig);
const service = {
  valid: valid && envErrors.length === 0,
  errors: [...envErrors, ...(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)],
  config: serviceConfig,
};

const sync = { errors: [], rows: [], buckets: [] };
const syncPath = serviceConfig?.sync_config?.path;
if (!syncPath) {
  sync.errors.push("the service config has no sync_config.path");
} else {
  // Relative to the service config file, as the service resolves it.
  const syncText = fs.readFileSync(path.resolve(path.dirname(request.serviceConfig), syncPath), "utf8");
  const pgTables = request.tables ?? [];
  const sourceSchema = new rules.StaticSchema([
    { tag: rules.DEFAULT_TAG, schemas: [{ name: "public", tables: pgTables }] },
  ]);
  const { config, errors } = rules.SqlSyncRules.fromYaml(syncText, { schema: sourceSchema, defaultSchema: "public" });
  sync.errors.push(...errors.map((e) => `${e.type ?? "error"}: ${e.message}`));
  const hydrated = config.hydrate({ hydrationState: rules.DEFAULT_HYDRATION_STATE, sqlite: null });
  const bigintTypes = new Set(["int2", "int4", "int8", "bool"]);
  for (const { table, record } of request.rows ?? []) {
    const columns = pgTables.find((t) => t.name === table)?.columns ?? [];
    const row = {};
    for (const [name, value] of Object.entries(record)) {
      const type = columns.find((c) => c.name === name)?.pg_type;
      row[name] = bigintTypes.has(type) && value !== null ? BigInt(value === true ? 1 : value === false ? 0 : value) : value;
    }
    const { results, errors: rowErrors } = hydrated.evaluateRowWithErrors({
      sourceTable: { connectionTag: rules.DEFAULT_TAG, schema: "public", name: table },
      record: row,
    });
    sync.errors.push(...rowErrors.map((e) => `row: ${e.error}`));
    sync.rows.push(results.map(({ bucket, table: outputTable, id, data }) => ({ bucket, table: outputTable, id, data })));
  }
  for (const payload of request.tokens ?? []) {
    const { querier, errors: querierErrors } = hydrated.getBucketParameterQuerier({
      globalParameters: new rules.RequestParameters(new rules.BaseJwtPayload(payload), {}),
      hasDefaultStreams: true,
      streams: {},
    });
    sync.errors.push(...querierErrors.map((e) => `querier: ${e.message ?? e}`));
    sync.buckets.push(querier.staticBuckets.map((b) => b.bucket));
  }
}

console.log(JSON.stringify({ service, sync }, (key, value) => (typeof value === "bigint" ? Number(value) : value)));
