import { describe, expect, it } from 'vitest';
import { dispositionFilename, readFile } from './download';

describe('dispositionFilename', () => {
	it('reads the quoted name', () => {
		expect(dispositionFilename('attachment; filename="Allotment 7 - garden report.pdf"')).toBe(
			'Allotment 7 - garden report.pdf'
		);
	});
	it('prefers the UTF-8 name Django adds for names beyond ASCII', () => {
		expect(dispositionFilename("attachment; filename*=utf-8''K%C3%B6ln%20-%20export.zip")).toBe(
			'Köln - export.zip'
		);
	});
	it('reads an unquoted name and gives null without one', () => {
		expect(dispositionFilename('attachment; filename=plan.zip')).toBe('plan.zip');
		expect(dispositionFilename('attachment')).toBeNull();
		expect(dispositionFilename(null)).toBeNull();
	});
});

describe('readFile', () => {
	it('keeps the bytes and falls back to a name of our own', async () => {
		const response = new Response(new Uint8Array([37, 80, 68, 70]), {
			headers: { 'Content-Type': 'application/pdf' }
		});
		const file = await readFile(response, 'report.pdf');
		expect(file.filename).toBe('report.pdf');
		expect(new Uint8Array(await file.blob.arrayBuffer())).toEqual(new Uint8Array([37, 80, 68, 70]));
	});
});
