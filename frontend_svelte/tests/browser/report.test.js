// The plan report: a gardener clicks "Download report", sees the job's
// progress, and gets a PDF whose text (pypdf, from the backend's venv; or
// poppler's pdftotext where it is installed) names the plan and every bed,
// a bed name with HTML in it printed as typed.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
	OPEN_METEO_USERS,
	PANEL_TIMEOUT,
	api,
	checkAccessibility,
	expect,
	openMeteo,
	screenshot,
	test
} from './fixtures.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
// A place of this test's own (no other test asks for its data), in Lyon.
const POINT = { latitude: 45.764, longitude: 4.8357 };
// The sun site: the point snapped to the 0.0005° grid; the beds lie well inside its 100 m square.
const SITE = {
	latitude: Math.round(POINT.latitude / 0.0005) * 0.0005,
	longitude: Math.round(POINT.longitude / 0.0005) * 0.0005
};

function square(id, name, east, north) {
	const d = 0.00006;
	const [lng, lat] = [SITE.longitude + east, SITE.latitude + north];
	const ring = [
		[lng, lat],
		[lng + d, lat],
		[lng + d, lat + d],
		[lng, lat + d],
		[lng, lat]
	];
	return {
		type: 'Feature',
		id,
		geometry: { type: 'Polygon', coordinates: [ring] },
		properties: { name }
	};
}

/** The PDF's text, with runs of white space as one space. */
function pdfText(path) {
	const pdftotext = ['/usr/bin/pdftotext', '/usr/local/bin/pdftotext'].find((p) => existsSync(p));
	const text = pdftotext
		? execFileSync(pdftotext, ['-layout', path, '-'], { encoding: 'utf8' })
		: execFileSync(
				join(ROOT, '.venv/bin/python'),
				[
					'-c',
					'import sys, pypdf; print("\\n".join(p.extract_text() for p in pypdf.PdfReader(sys.argv[1]).pages))',
					path
				],
				{ encoding: 'utf8' }
			);
	return text.replace(/\s+/g, ' ');
}

test(
	'report: download the plan report, with progress, and read the plan and its beds in it',
	{ lock: openMeteo('report') },
	async ({ page, account: _ }, testInfo) => {
		const beds = [
			square('b1', 'Tomatoes', -0.0002, -0.0002),
			square('b2', 'Herbs & salad', 0.0001, -0.0002),
			square('b3', '<b>Bold</b> <img src="http://127.0.0.1:9/x.png"> bed', -0.0002, 0.0001)
		];
		await page.goto('/app');
		const plan = await api(page, 'POST', '/api/v1/plans/', {
			name: 'Lyon courtyard <i>2026</i>',
			...POINT,
			address: 'Lyon, France',
			beds: { type: 'FeatureCollection', features: beds }
		});
		await page.goto(`/app/plans/${plan.id}`);
		const report = page.getByTestId('download-report');
		await expect(report.getByRole('button', { name: 'Download report' })).toBeVisible();
		// The plan page as a whole is checked in app.test.js; here the downloads section.
		await checkAccessibility(page, 'plan page: the downloads section', {
			within: '.downloads'
		});

		const download = page.waitForEvent('download', { timeout: PANEL_TIMEOUT });
		await report.getByRole('button', { name: 'Download report' }).click();
		// The job's progress, in words, while the data is fetched and the report built.
		await expect(report.getByRole('status')).toContainText('Preparing the report');
		await screenshot(page, 'report-in-progress', { fullPage: false });
		const file = await download;
		expect(file.suggestedFilename()).toBe('Lyon courtyard i2026i - garden report.pdf');
		const path = testInfo.outputPath('report.pdf');
		await file.saveAs(path);
		await expect(report.getByRole('status')).toContainText('is in your downloads');

		const text = pdfText(path);
		expect(text).toContain('Lyon courtyard <i>2026</i>');
		for (const bed of beds) expect(text).toContain(bed.properties.name);
		expect(text).toContain('Lyon, France');

		// Asked again, the report is built already: no job, the same file at once.
		const again = page.waitForEvent('download', { timeout: 15_000 });
		await report.getByRole('button', { name: 'Download report' }).click();
		await (await again).saveAs(testInfo.outputPath('again.pdf'));
		expect(pdfText(testInfo.outputPath('again.pdf'))).toBe(text);
	}
);

test(
	'report: a failing upstream is said in words, and Try again makes the report',
	{
		// Open-Meteo fails for every test running at the time.
		lock: OPEN_METEO_USERS.map(openMeteo)
	},
	async ({ page, simulator, account: _ }) => {
		// Open-Meteo fails before the plan exists, so its prefetch cannot fetch the climate either.
		await simulator.configure({ fail: { upstream: 'open_meteo', mode: '500' } });
		const report = page.getByTestId('download-report');
		try {
			await page.goto('/app');
			// A place of its own (in Porto), so nothing of it is cached.
			const plan = await api(page, 'POST', '/api/v1/plans/', {
				name: 'Porto terrace',
				latitude: 41.1496,
				longitude: -8.611
			});
			await page.goto(`/app/plans/${plan.id}`);
			// By the keyboard: the panels above change height as their own failures arrive, and a
			// click aimed before such a shift can land beside the button.
			await report.getByRole('button', { name: 'Download report' }).press('Enter');
			await expect(report.getByRole('status')).toContainText('Preparing the report');
			const alert = report.getByRole('alert');
			await expect(alert).toContainText('Could not make the report', { timeout: PANEL_TIMEOUT });
			await expect(alert).toContainText('is not answering');
			await screenshot(page, 'report-failed', { fullPage: false });
		} finally {
			await simulator.reset();
		}
		const download = page.waitForEvent('download', { timeout: PANEL_TIMEOUT });
		await report.getByRole('button', { name: 'Try again' }).press('Enter');
		expect((await download).suggestedFilename()).toBe('Porto terrace - garden report.pdf');
		await expect(report.getByRole('alert')).toHaveCount(0);
	}
);
