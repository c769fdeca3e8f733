// A real OpenID Connect provider (the npm package oidc-provider) on loopback, for the sign-in
// tests and `make sso-demo`. Started by tests/sso/servers.py with PORT and SETTINGS (a JSON
// file: users, static clients, acr values, and optionally the signing keys). Clients may also register themselves (dynamic
// client registration at /reg): each test's association gets its own client, as each
// association registers the service with its university.
//
// The login page is this script's own: a user name and a password from SETTINGS. A user
// with "amr" (and "acr") in SETTINGS signs in with those asserted, as a university whose
// sign-in asked for a second factor would.
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(fs.readFileSync(process.env.SETTINGS, 'utf8'));
const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const users = new Map(settings.users.map((user) => [user.username, user]));

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (title, body) => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>${escape(title)}</h1>${body}</body></html>`;

const configuration = {
  clients: settings.clients ?? [],
  acrValues: settings.acr_values ?? [],
  // acr and amr in every ID token (as universities' providers that assert MFA do), not
  // only when the client asks for them with the claims parameter.
  claims: {
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'employee_number'],
    phone: ['phone_number'],
    acr: null,
    amr: null,
    auth_time: null,
    iss: null,
    sid: null,
  },
  scopes: ['openid', 'email', 'profile', 'phone'],
  cookies: { keys: ['test-oidc-provider-cookies-only'] },
  // The service is on loopback here too, which the library's guard against server-side
  // request forgery refuses to reach: the back-channel logout goes out without that guard.
  fetch: (url, options) => globalThis.fetch(url, { ...options, dispatcher: undefined }),
  // The signing keys, when the tests give them (to sign tokens as the provider would).
  ...(settings.jwks ? { jwks: settings.jwks } : {}),
  // The service must send a PKCE challenge, confidential client or not.
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    // Tells each client's back-channel logout URI when a sign-in here ends.
    backchannelLogout: { enabled: true },
    registration: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page(
          'Sign out of the university?',
          `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`,
        );
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page('Signed out', '<p>You are signed out of the university.</p>');
      },
    },
  },
  async findAccount(ctx, sub) {
    const user = users.get(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: user.email,
          email_verified: true,
          name: user.name,
          phone_number: user.phone,
          employee_number: user.employee_number,
        };
      },
    };
  },
  // The university's own service: no consent screen of the provider's.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile phone');
    await grant.save();
    return grant;
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Error', `<pre>${escape(JSON.stringify(out))}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);
const callback = provider.callback();
provider.on('backchannel.error', (ctx, error, client) => {
  console.log(`back-channel logout to ${client.clientId} failed: ${error}`);
});

const loginForm = (uid, error) => page(
  'University sign-in',
  `${error ? `<p class="error">${escape(error)}</p>` : ''}
  <form method="post" action="/interaction/${escape(uid)}">
    <input name="username" autocomplete="username">
    <input name="password" type="password" autocomplete="current-password">
    <button type="submit">Sign in</button>
  </form>`,
);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; nothing else is asked here.
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginForm(uid));
    return;
  }
  const form = await readForm(req);
  const user = users.get(form.get('username') ?? '');
  if (!user || user.password !== form.get('password')) {
    res.writeHead(401, { 'content-type': 'text/html; charset=utf-8' });
    res.end(loginForm(uid, 'Wrong user name or password.'));
    return;
  }
  const login = { accountId: user.username };
  if (user.amr) login.amr = user.amr;
  if (user.acr) login.acr = user.acr;
  await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
}

http.createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)$/);
  if (!match) {
    callback(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1]);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(String(error));
  }
}).listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider at ${issuer}`);
});
