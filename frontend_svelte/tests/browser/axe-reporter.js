// A Playwright reporter: every accessibility check the tests attached
// (checkAccessibility in fixtures.js) in one file, test-results/axe.json, and
// a line per page at the end of the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export default class AxeReporter {
	results = {};

	onBegin(config) {
		this.outputDir = config.projects[0]?.outputDir ?? 'test-results';
	}

	onTestEnd(test, result) {
		for (const attachment of result.attachments) {
			if (attachment.name.startsWith('axe: ') && attachment.body) {
				this.results[attachment.name.slice(5)] = JSON.parse(attachment.body.toString());
			}
		}
	}

	onEnd() {
		const entries = Object.entries(this.results).sort(([a], [b]) => a.localeCompare(b));
		if (!entries.length) return;
		mkdirSync(this.outputDir, { recursive: true });
		writeFileSync(
			join(this.outputDir, 'axe.json'),
			JSON.stringify(Object.fromEntries(entries), null, 2)
		);
		const lines = entries.map(
			([name, r]) => `  ${name}: ${r.violations.length} violations, ${r.passes} rules passed`
		);
		console.log(`axe-core ${entries[0][1].version}, ${entries.length} pages:\n${lines.join('\n')}`);
	}

	printsToStdio() {
		return false;
	}
}
