// A real OpenID provider for tests and `make demo-oidc`: the certified `oidc-provider` from npm, with our config.
//
//   node tests/oidc/provider.js NODE_MODULES_DIR CONFIG_JSON
//
// CONFIG_JSON: {"port": N, "clients": [{"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
// "twist"}]}. Prints "OpenID provider on http://127.0.0.1:N" (the issuer) once it listens.
//
// Test users carry the Swedish OpenID Connect profile's claims and a level of assurance (acr). What the refusal
// tests need that an honest provider never issues comes from a client's "twist", applied to that client's ID token
// after the provider made it, re-signed with the provider's own key: "expired" (exp in the past), "wrong-audience"
// (aud another client), "unknown-kid" (signed with a key the JWKS does not publish until POST /_test/rotate-keys);
// and "identity-in-token" (the person's claims in the ID token, as some brokers deliver them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, configPath] = process.argv.slice(2);
const load = (name, entry) => import(pathToFileURL(join(modules, name, entry)).href);
const { default: Provider } = await load('oidc-provider', 'lib/index.js');
const jose = await load('jose', 'dist/webapi/index.js');

const config = JSON.parse(readFileSync(configPath, 'utf8'));
const PNR = 'https://id.oidc.se/claim/personalIdentityNumber';
const COORD = 'https://id.oidc.se/claim/coordinationNumber';
const PNR_SCOPE = 'https://id.oidc.se/scope/naturalPersonNumber';
const LOA2 = 'http://id.elegnamnden.se/loa/1.0/loa2';
const LOA3 = 'http://id.elegnamnden.se/loa/1.0/loa3';
const LOA4 = 'http://id.elegnamnden.se/loa/1.0/loa4';

// Fictitious test numbers: the mock world's demo identities, and users for the refusal tests.
const USERS = {
  karin: { given_name: 'Karin', family_name: 'Ström', [PNR]: '198504124564', acr: LOA3 },
  sara: { given_name: 'Sara', family_name: 'Lind', [PNR]: '199206202344', acr: LOA3 },
  johan: { given_name: 'Johan', family_name: 'Berg', [PNR]: '197803157895', acr: LOA4 },
  eva: { given_name: 'Eva', family_name: 'Nyström', [PNR]: '196601013458', acr: LOA3 },
  olle: { given_name: 'Olle', family_name: 'Tom', [PNR]: '199511115678', acr: LOA3 },
  ali: { given_name: 'Ali', family_name: 'Hassan', [COORD]: '199106613343', acr: LOA3 },
  lena: { given_name: 'Lena', family_name: 'Låg', [PNR]: '198112289874', acr: LOA2 },  // too low a level
  anon: { given_name: 'Utan', family_name: 'Nummer', acr: LOA3 },  // no identity number at all
};

async function signingKey(kid) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  return { ...(await jose.exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

const providerKey = await signingKey('provider-key-1');
const laterKey = await signingKey('provider-key-2');  // published only after POST /_test/rotate-keys
let rotated = false;

const twists = Object.fromEntries(config.clients.filter((c) => c.twist).map((c) => [c.client_id, c.twist]));
const clients = config.clients.map(({ twist, ...c }) => ({
  grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
  ...c,
}));

const provider = new Provider(`http://127.0.0.1:${config.port}`, {
  clients,
  jwks: { keys: [providerKey] },
  acrValues: [LOA2, LOA3, LOA4],
  scopes: ['openid', 'profile', PNR_SCOPE, 'nin'],
  claims: {
    acr: null,
    profile: ['given_name', 'family_name', 'name'],
    [PNR_SCOPE]: [PNR, COORD],
    nin: ['nin'],
  },
  async findAccount(ctx, id) {
    const user = USERS[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        const { acr, ...claims } = user;
        const number = claims[PNR] || claims[COORD];
        return { sub: id, ...claims, name: `${user.given_name} ${user.family_name}`, ...(number ? { nin: number } : {}) };
      },
    };
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-provider-cookie-key-0123456789'] },
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
});

const page = (title, body) => `<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;

async function formBody(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  return new URLSearchParams(text);
}

async function twisted(idToken, twist) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = providerKey;
  if (twist === 'expired') Object.assign(claims, { iat: now - 900, exp: now - 600 });
  else if (twist === 'wrong-audience') Object.assign(claims, { aud: 'another-client', azp: undefined });
  else if (twist === 'unknown-kid') key = laterKey;
  else if (twist === 'identity-in-token') {  // as brokers do that hand out the claims in the ID token itself
    const { acr, ...person } = USERS[claims.sub];
    Object.assign(claims, person);
  }
  const signer = await jose.importJWK(key, 'RS256');
  return new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' }).sign(signer);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (match && ctx.method === 'GET' && !match[2]) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const buttons = Object.keys(USERS).map((id) => `<li><button type="submit" name="login" value="${id}">`
      + `${USERS[id].given_name} ${USERS[id].family_name} (${USERS[id].acr.split('/').pop()})</button></li>`).join('');
    ctx.type = 'html';
    ctx.body = page('Test-e-legitimation', `<form method="post" action="/interaction/${details.uid}/login"><ul>${buttons}</ul></form>`);
    return;
  }
  if (match && ctx.method === 'POST' && match[2]) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const login = (await formBody(ctx.req)).get('login');
    if (!USERS[login]) {
      ctx.status = 400;
      ctx.body = 'unknown test user';
      return;
    }
    // A first-party test provider: consent is given at log-in, for everything asked.
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    if (details.params.claims) {
      const asked = JSON.parse(details.params.claims);
      grant.addOIDCClaims([...Object.keys(asked.id_token || {}), ...Object.keys(asked.userinfo || {})]);
    }
    const grantId = await grant.save();
    const to = await provider.interactionResult(ctx.req, ctx.res,
      { login: { accountId: login, acr: USERS[login].acr }, consent: { grantId } }, { mergeWithLastSubmission: false });
    ctx.redirect(to);
    ctx.status = 303;
    return;
  }
  if (ctx.path === '/_test/rotate-keys' && ctx.method === 'POST') {
    rotated = true;
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/jwks' && rotated && ctx.body?.keys) {
    const { d, p, q, dp, dq, qi, ...pub } = laterKey;
    ctx.body = { keys: [...ctx.body.keys, pub] };
  }
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    const twist = twists[ctx.oidc?.client?.clientId];
    if (twist) ctx.body = { ...ctx.body, id_token: await twisted(ctx.body.id_token, twist) };
  }
});

const server = provider.listen(config.port, '127.0.0.1', () => {
  console.log(`OpenID provider on ${provider.issuer}`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
