// Staff sign-in in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
// against a real OpenID provider (oidc-provider, the certified Node.js implementation, in this
// process) and the real ticketd binary on a throw-away SQLite database. The provider knows two
// people: `alice`, a member of ticketd's staff directory in the group `ticketd-agents` (mapped to
// the role agent), and `stranger`, whom the directory does not know. Everything listens on
// 127.0.0.1. Screenshots land in test-artifacts/oidc/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const ticketd =
  process.env.TICKETD_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'ticketd');
const artifacts = join(root, 'test-artifacts', 'oidc');

const people = {
  alice: { email: 'alice@staff.example.fr', email_verified: true, name: 'Alice Martin', groups: ['ticketd-agents'] },
  stranger: { email: 'stranger@example.org', email_verified: true, name: 'Someone Else', groups: ['ticketd-agents'] },
};

let server;
let browser;
let provider;
let providerServer;
let base;
let issuer;
let adminKey;
let dataDir;
let organisationId;

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

async function api(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ticketd-oidc-'));
  const port = await freePort();
  const providerPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  issuer = `http://127.0.0.1:${providerPort}`;

  provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'ticketd',
        client_secret: 'a-client-secret-for-the-test-only',
        redirect_uris: [`${base}/signin/callback`],
        post_logout_redirect_uris: [`${base}/signin`],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        backchannel_logout_uri: `${base}/signin/backchannel-logout/corp`,
        backchannel_logout_session_required: true,
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    // The ID token carries the claims of the scopes asked for (ticketd reads them there).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    cookies: { keys: ['a-cookie-key-for-the-test-only'] },
    // The provider refuses outgoing requests to special-use addresses (SSRF protection); here
    // ticketd is on 127.0.0.1 on purpose, so its back-channel log-out goes through plain fetch.
    fetch(url, options) {
      const { dispatcher: _dispatcher, ...rest } = options;
      return fetch(url, rest);
    },
    async findAccount(_ctx, id) {
      if (!people[id]) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...people[id] }) };
    },
  });
  provider.on('backchannel.error', (_ctx, error, client) => console.error(`back-channel log-out to ${client.clientId} failed: ${error.message} ${error.cause}`));
  providerServer = provider.listen(providerPort, '127.0.0.1');
  await waitFor(`${issuer}/.well-known/openid-configuration`);

  const config = join(dataDir, 'ticketd.toml');
  writeFileSync(
    config,
    `[signin]
idle_timeout_seconds = 1800
absolute_timeout_seconds = 36000

[[signin.providers]]
name = "corp"
label = "Corp IdP"
issuer = "${issuer}"
client_id = "ticketd"
client_secret = "a-client-secret-for-the-test-only"
scopes = ["openid", "email", "profile", "groups"]
groups_claim = "groups"
group_roles = { "ticketd-agents" = "agent" }
`,
  );
  const env = {
    ...process.env,
    TICKETD_CONFIG: config,
    TICKETD_LISTEN: `127.0.0.1:${port}`,
    TICKETD_DATABASE_URL: `sqlite://${join(dataDir, 'ticketd.db')}?mode=rwc`,
    TICKETD_ATTACHMENTS__DIR: join(dataDir, 'attachments'),
    TICKETD_PUBLIC__BASE_URL: base,
    TICKETD_LOG_FILTER: process.env.TICKETD_LOG_FILTER ?? 'warn',
    TICKETD_MAIL__DISPATCHER__ENABLED: 'false',
  };
  adminKey = execFileSync(ticketd, ['keys', 'create', '--role', 'admin', '--name', 'admin'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  server = spawn(ticketd, ['serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitFor(`${base}/healthz`);
  const added = await api('POST', '/api/v1/staff', { handle: 'alice', email: 'alice@staff.example.fr' });
  assert.equal(added.status, 201, JSON.stringify(added.json));
  const organisation = await api('POST', '/api/v1/organisations', { name: 'Service de test', roles: ['service_provider'] });
  assert.equal(organisation.status, 201, JSON.stringify(organisation.json));
  organisationId = organisation.json.id;

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  providerServer?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/// From ticketd's sign-in page through the provider's login and consent, as `login`.
async function signIn(page, login) {
  await page.goto(`${base}/signin`);
  await page.getByRole('link', { name: /Corp IdP/ }).click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any');
  await page.locator('button[type="submit"]').click();
  // The consent page the first time; then straight back to ticketd.
  await page.waitForURL((url) => url.href.startsWith(base) || url.pathname.includes('/interaction/'));
  if (!page.url().startsWith(base)) {
    await page.locator('button[type="submit"]').click();
    await page.waitForURL((url) => url.href.startsWith(base));
  }
}

async function newPage() {
  const context = await browser.newContext({ locale: 'fr-FR' });
  return context.newPage();
}

test('a directory member signs in, sees their name and role, and the session works for the API', async () => {
  const page = await newPage();
  await signIn(page, 'alice');
  assert.equal(new URL(page.url()).pathname, '/console/me');
  assert.match(await page.textContent('#who'), /Alice Martin/);
  assert.equal(await page.getAttribute('#role', 'data-role'), 'agent');
  await page.screenshot({ path: join(artifacts, '01-signed-in.png'), fullPage: true });
  const cookies = await page.context().cookies(base);
  const session = cookies.find((c) => c.name === '__Host-ticketd-session');
  assert.ok(session, JSON.stringify(cookies.map((c) => c.name)));
  assert.equal(session.httpOnly, true);
  assert.equal(session.secure, true);
  assert.equal(session.sameSite, 'Lax');

  // The page's own calls: a read, a write refused without the CSRF token, accepted with it.
  const results = await page.evaluate(async (organisationId) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const read = await fetch('/api/v1/tickets');
    const write = (headers) =>
      fetch('/api/v1/incidents', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify({ title: 'Connexion impossible', started_at: '2026-11-23T08:30:00Z', impact: 'Les usagers ne peuvent plus se connecter', organisation_id: organisationId }),
      });
    const refused = await write({});
    const accepted = await write({ 'X-CSRF-Token': csrf });
    return { read: read.status, refused: refused.status, refusedType: (await refused.json()).type, accepted: accepted.status, body: await accepted.text() };
  }, organisationId);
  assert.equal(results.read, 200);
  assert.equal(results.refused, 403);
  assert.equal(results.refusedType, '/problems/csrf-token-required');
  assert.equal(results.accepted, 201, results.body);

  // Log-out: ended here, then at the provider, back on ticketd's sign-in page.
  await page.locator('#signout').click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await page.screenshot({ path: join(artifacts, '02-provider-logout.png'), fullPage: true });
  const confirm = page.locator('button[type="submit"], button[autofocus]').first();
  if (await confirm.count()) await confirm.click();
  await page.waitForURL(`${base}/signin`);
  const after = await page.evaluate(async () => (await fetch('/api/v1/tickets')).status);
  assert.equal(after, 401);
  const events = await api('GET', '/api/v1/auth-events');
  const kinds = events.json.items.map((e) => e.kind);
  assert.ok(kinds.includes('sign_in') && kinds.includes('sign_out'), kinds.join());
});

test('a person the directory does not know is refused with a clear page', async () => {
  const page = await newPage();
  await signIn(page, 'stranger');
  assert.equal(new URL(page.url()).pathname, '/signin/callback');
  assert.equal(await page.getAttribute('#refusal', 'data-reason'), 'signin-refused-not-in-directory');
  assert.match(await page.textContent('main'), /n'est pas dans l'annuaire du personnel/);
  await page.screenshot({ path: join(artifacts, '03-refused.png'), fullPage: true });
  const cookies = await page.context().cookies(base);
  assert.ok(!cookies.some((c) => c.name === '__Host-ticketd-session'));
});

test("the provider's back-channel log-out ends the session in ticketd", async () => {
  const page = await newPage();
  await signIn(page, 'alice');
  assert.equal(new URL(page.url()).pathname, '/console/me');
  // Signing out at the provider only (not through ticketd): the provider calls ticketd back.
  await page.goto(`${issuer}/session/end`);
  await page.screenshot({ path: join(artifacts, '04-provider-logout.png'), fullPage: true });
  await page.locator('button[type="submit"], button[autofocus]').first().click();
  await page.waitForLoadState();
  await page.goto(`${base}/console/me`);
  assert.equal(new URL(page.url()).pathname, '/signin');
  const events = await api('GET', '/api/v1/auth-events');
  assert.ok(events.json.items.some((e) => e.kind === 'session_backchannel_logout'), JSON.stringify(events.json.items.map((e) => e.kind)));
});
