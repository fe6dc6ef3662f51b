// Generate the TypeScript types of the API from the committed OpenAPI file.
//   node scripts/api-gen.js            writes src/lib/api/schema.d.ts
//   node scripts/api-gen.js --check    fails when the committed file is stale
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const targets = [{ source: '../docs/api/openapi.yaml', output: 'src/lib/api/schema.d.ts' }];
const check = process.argv.includes('--check');
const bin = (name) => join('node_modules', '.bin', name);

/** The formatted types for one OpenAPI file, as a string. */
function generate(source, output) {
	const raw = execFileSync(bin('openapi-typescript'), [source, '--alphabetize'], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	});
	return execFileSync(bin('prettier'), ['--stdin-filepath', output], {
		input: raw,
		encoding: 'utf8',
		stdio: ['pipe', 'pipe', 'inherit']
	});
}

const stale = [];
for (const { source, output } of targets) {
	const fresh = generate(source, output);
	if (check) {
		const committed = existsSync(output) ? readFileSync(output, 'utf8') : '';
		if (fresh !== committed) stale.push(output);
	} else {
		writeFileSync(output, fresh);
	}
}
if (stale.length) {
	console.error(
		`api:check: ${stale.join(', ')} out of date with the OpenAPI schema; run \`npm run api:gen\``
	);
	process.exit(1);
}
if (check) console.log('api:check: generated types match the schema');
