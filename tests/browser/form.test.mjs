// The public identity-theft form in a real headless Chromium (Debian's /usr/bin/chromium, driven by
// Playwright), against the real ticketd binary on a throw-away SQLite database. Each page is checked
// with axe-core (WCAG 2.1 A/AA rules); screenshots are kept in test-artifacts/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ticketd =
  process.env.TICKETD_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'ticketd');
const artifacts = join(root, 'test-artifacts', 'browser');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let server;
let smtp;
let maildir;
let browser;
let base;
let adminKey;
let securityKey;
let dataDir;
const env = {};

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(url, attempts = 100) {
  for (let i = 0; i < attempts; i++) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

function waitForPort(port, attempts = 100) {
  return new Promise((resolve, reject) => {
    const attempt = (left) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.end();
        resolve();
      });
      socket.on('error', () => (left > 0 ? setTimeout(() => attempt(left - 1), 100) : reject(new Error(`port ${port} closed`))));
    };
    attempt(attempts);
  });
}

/// The mails aiosmtpd received: recipients, subject and language, from their headers.
function receivedMails() {
  return readdirSync(join(maildir, 'new')).map((name) => {
    const text = readFileSync(join(maildir, 'new', name), 'utf8');
    const headers = text.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
    const header = (key) => (headers.match(new RegExp(`^${key}: (.*)$`, 'mi')) ?? [])[1] ?? '';
    return { to: header('X-RcptTo') || header('To'), subject: header('Subject'), language: header('Content-Language'), text };
  });
}

async function waitForMails(predicate, attempts = 100) {
  for (let i = 0; i < attempts; i++) {
    const mails = receivedMails();
    if (predicate(mails)) return mails;
    await new Promise((r) => setTimeout(r, 100));
  }
  return receivedMails();
}

async function api(method, path, key, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...(body?.etag ? { 'If-Match': body.etag } : {}) },
    body: body?.json ? JSON.stringify(body.json) : undefined,
  });
  const text = await response.text();
  return { status: response.status, etag: response.headers.get('etag'), json: text ? JSON.parse(text) : null };
}

async function accessibilityViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

async function newPage() {
  const context = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
  return context.newPage();
}

async function fillValidReport(page, { email = 'claire.martin@example.fr' } = {}) {
  await page.getByLabel('Identifiant de session ou d\'événement').fill('0191e2a4-5b6c-7d8e-9f00-112233445566');
  await page.getByLabel('Date de la connexion suspecte').fill('2026-11-20');
  await page.getByLabel('Compte d\'identité utilisé').selectOption({ label: 'Fournisseur d\'identité de test' });
  await page.getByLabel('Service de test').check();
  await page.getByLabel('Nom(s) de naissance').fill('Martin');
  await page.getByLabel('Prénom(s)').fill('Claire');
  await page.getByLabel('Date de naissance').fill('1980-04-12');
  await page.getByLabel('Lieu de naissance').fill('Lyon');
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Téléphone').fill('06 12 34 56 78');
  await page.getByLabel('Ce qui s\'est passé').fill('Une connexion à mon compte que je ne reconnais pas.');
  await page.getByLabel(/J'accepte que les informations/).check();
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ticketd-browser-'));
  // A real SMTP server: aiosmtpd writing a maildir (scripts/test makes it importable).
  maildir = join(dataDir, 'maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  const smtpPort = await freePort();
  smtp = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  await waitForPort(smtpPort);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  Object.assign(env, process.env, {
    TICKETD_LISTEN: `127.0.0.1:${port}`,
    TICKETD_DATABASE_URL: `sqlite://${join(dataDir, 'ticketd.db')}?mode=rwc`,
    TICKETD_ATTACHMENTS__DIR: join(dataDir, 'attachments'),
    TICKETD_PUBLIC__BASE_URL: base,
    TICKETD_LOG_FILTER: 'warn',
    TICKETD_MAIL__TRANSPORT: 'smtp',
    TICKETD_MAIL__SMTP__HOST: '127.0.0.1',
    TICKETD_MAIL__SMTP__PORT: String(smtpPort),
    TICKETD_MAIL__SMTP__SECURITY: 'off',
    TICKETD_MAIL__DISPATCHER__POLL_INTERVAL_MS: '200',
    ...(process.env.BROWSER_TEST_EXTRA_ENV ? JSON.parse(process.env.BROWSER_TEST_EXTRA_ENV) : {}),
  });
  adminKey = execFileSync(ticketd, ['keys', 'create', '--role', 'admin', '--name', 'admin'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  securityKey = execFileSync(ticketd, ['keys', 'create', '--role', 'security', '--name', 'securite'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  server = spawn(ticketd, ['serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(`${base}/healthz`);
  for (const [name, roles] of [['Fournisseur d\'identité de test', ['identity_provider']], ['Service de test', ['service_provider']]]) {
    const created = await api('POST', '/api/v1/organisations', adminKey, { json: { name, roles } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    // A designated contact: a confirmed report notifies them, and the case closes only once the
    // mail server has accepted those mails.
    const contact = await api('POST', `/api/v1/organisations/${created.json.id}/contacts`, adminKey, {
      json: { name: 'Équipe sécurité', function: 'RSSI', email: `securite+${roles[0]}@partenaire.example` },
    });
    assert.equal(contact.status, 201, JSON.stringify(contact.json));
  }
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  smtp?.kill('SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

let trackingPath;
// The file the reporter attaches on the form, found again on the tracking page.
const alert = { name: 'alerte reçue.txt', mimeType: 'text/plain', buffer: Buffer.from('Objet : connexion à votre compte\nUne connexion depuis un appareil inconnu.\n') };

test('a reporter fills and submits the form and sees the reference, the private link and the advice', async () => {
  const page = await newPage();
  await page.goto(`${base}/signalement`);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, '01-form.png'), fullPage: true });
  await fillValidReport(page);
  await page.getByLabel('Pièces jointes').setInputFiles(alert);
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  await page.waitForURL(/\/suivi\/[^/]+\/confirmation$/);
  const reference = await page.locator('#reference').textContent();
  assert.match(reference, /^USU-\d{4}-\d{6}$/);
  const link = await page.locator('#tracking-link').getAttribute('href');
  assert.match(link, /^\/suivi\/[A-Za-z0-9_-]{43}$/);
  trackingPath = link;
  assert.match(await page.textContent('main'), /tribunal judiciaire/);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, '02-confirmation.png'), fullPage: true });

  // The report reaches the security mailbox and the reporter, through the real SMTP server; the
  // reporter's acknowledgement carries the reference and the private link.
  // The security mailbox hears of every event of a usurpation: the report, then its attached file.
  const mails = await waitForMails((m) => m.filter((x) => /support\.securite@/.test(x.to)).length >= 2 && m.some((x) => /claire\.martin@/.test(x.to)));
  const security = mails.filter((m) => /support\.securite@/.test(m.to));
  const reporter = mails.filter((m) => /claire\.martin@example\.fr/.test(m.to));
  assert.equal(security.length, 2, JSON.stringify(mails.map((m) => [m.to, m.subject])));
  assert.equal(reporter.length, 1);
  assert.ok(reporter[0].subject.includes(reference), reporter[0].subject);
  assert.equal(reporter[0].language, 'fr');
  assert.ok(reporter[0].text.replace(/=\r?\n/g, '').includes(link.replace(/^\//, '')), 'the mail carries the tracking link');
});

test('a form with errors shows them, linked to their fields, and keeps the values', async () => {
  const page = await newPage();
  await page.goto(`${base}/signalement`);
  await page.getByLabel('Nom(s) de naissance').fill('Martin');
  await page.getByLabel('Adresse e-mail').fill('pas-une-adresse');
  await page.getByLabel('Date de la connexion suspecte').fill('2024-01-01');
  await page.getByRole('button', { name: 'Envoyer le signalement' }).click();
  const summary = page.getByRole('alert');
  await summary.waitFor();
  assert.match(await summary.textContent(), /Le formulaire contient \d+ erreurs/);
  assert.equal(await page.getByLabel('Nom(s) de naissance').inputValue(), 'Martin', 'values are kept');
  assert.equal(await page.getByLabel('Adresse e-mail').inputValue(), 'pas-une-adresse');
  // The summary's link takes the user to the field.
  await summary.getByRole('link', { name: /adresse e-mail valide/ }).click();
  assert.equal(await page.evaluate(() => location.hash), '#email');
  assert.equal(await page.getByLabel('Adresse e-mail').getAttribute('aria-invalid'), 'true');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, '03-errors.png'), fullPage: true });
});

test('the tracking link shows the case in plain words and takes more information', async () => {
  assert.ok(trackingPath, 'the first test registered a report');
  const page = await newPage();
  await page.goto(`${base}${trackingPath}`);
  assert.equal(await page.locator('#state').textContent(), 'Reçu');
  assert.deepEqual(await accessibilityViolations(page), []);
  // The file attached on the form is listed, and downloads as it was sent.
  const file = page.locator('#file-list a');
  assert.equal(await file.count(), 1);
  assert.equal(await file.textContent(), alert.name);
  const download = await page.request.get(`${base}${await file.getAttribute('href')}`);
  assert.equal(download.status(), 200);
  assert.match(download.headers()['content-disposition'], /^attachment;/);
  assert.deepEqual(Buffer.from(await download.body()), alert.buffer);
  await page.getByLabel('Votre message').fill('J\'ai aussi reçu un SMS suspect.');
  await page.getByRole('button', { name: 'Envoyer', exact: true }).click();
  await page.waitForURL(/notice=added/);
  assert.match(await page.textContent('main'), /SMS suspect/);
  await page.screenshot({ path: join(artifacts, '04-tracking.png'), fullPage: true });
});

test('the reporter confirms a resolution from the tracking page and the case closes', async () => {
  const list = await api('GET', '/api/v1/tickets?kind=user_usurpation', securityKey);
  const id = list.json.items[0].id;
  let ticket = await api('GET', `/api/v1/tickets/${id}`, securityKey);
  for (const [command, json] of [['acknowledge', {}], ['qualify', { outcome: 'confirmed' }], ['resolve', { summary: 'Votre compte a été sécurisé et les organismes prévenus.' }]]) {
    ticket = await api('POST', `/api/v1/tickets/${id}/${command}`, securityKey, { etag: ticket.etag, json });
    assert.equal(ticket.status, 200, JSON.stringify(ticket.json));
  }
  // "Notified" means delivered: wait until the mail server took the mails to the organisations.
  for (let i = 0; i < 100; i++) {
    ticket = await api('GET', `/api/v1/tickets/${id}`, securityKey);
    const concerned = ticket.json.concerned_organisations ?? [];
    if (concerned.length > 0 && concerned.every((c) => c.notified_at)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const page = await newPage();
  await page.goto(`${base}${trackingPath}`);
  assert.equal(await page.locator('#state').textContent(), 'Résolution proposée');
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.getByRole('button', { name: 'Oui, c\'est résolu' }).click();
  await page.waitForURL(/notice=confirmed/);
  assert.equal(await page.locator('#state').textContent(), 'Clos');
  await page.screenshot({ path: join(artifacts, '05-closed.png'), fullPage: true });
  const closed = await api('GET', `/api/v1/tickets/${id}`, securityKey);
  assert.equal(closed.json.closure.reason, 'resolved_confirmed');
});

test('the form exists in English', async () => {
  const page = await newPage();
  await page.goto(`${base}/en/report`);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByRole('button', { name: 'Send the report' }).click();
  assert.match(await page.getByRole('alert').textContent(), /problems with the form/);
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.screenshot({ path: join(artifacts, '06-english-errors.png'), fullPage: true });
});
