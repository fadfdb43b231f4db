#!/usr/bin/env node
// The performance peer of the live-endpoint benchmark (security.md §3.2):
// node `oidc-provider` (npm, devDependency) with its default in-memory
// adapter and client credentials, introspection and revocation enabled,
// listening on 127.0.0.1 only.
//
//   node scripts/bench-oidc-provider.mjs [--port 0] [--target out.json] [--max-seconds 600]
//
// The in-memory adapter is the library's LRU of 1000 entries: the benchmark
// runs the refresh-token load before issuing thousands of other tokens, or
// the seeded refresh token would be evicted (scripts/bench.sh).
//
// One confidential client (client_secret_basic) may use the
// client_credentials and refresh_token grants. Its refresh token is seeded
// through the provider's own models, as the authorization-code grant would
// have stored it: a Grant for the account with the scope offline_access,
// then a RefreshToken bound to that grant, saved through the adapter. So no
// interactive login (devInteractions) is needed, and the refresh_token grant
// then runs its normal checks (client, expiry, grant, account). The scope is
// offline_access without openid, so a refresh issues an access token and
// no ID token, like the caplab side (scope api refresh_token).
//
// When it listens it writes the target file for scripts/bench/load (token
// and introspection endpoints, client, refresh token) and prints
// "ready <port>" on stdout. It stops on SIGTERM/SIGINT or after
// --max-seconds, whichever comes first.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    target: { type: 'string', default: '' },
    'max-seconds': { type: 'string', default: '600' },
    'client-id': { type: 'string', default: 'bench-client' },
    'client-secret': { type: 'string', default: 'bench-secret-0123456789abcdef' },
  },
});

// oidc-provider 9 asks for Node 22 LTS and prints a one-line warning on
// Node 20 (it still runs); keep stdout for our own protocol.
const { default: Provider } = await import('oidc-provider');

const HOST = '127.0.0.1';
const clientId = args['client-id'];
const clientSecret = args['client-secret'];
const accountId = 'bench-user';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench' };

function configuration() {
  return {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
    },
    scopes: ['openid', 'offline_access'],
    // Explicit lifetimes (the defaults, which otherwise print "should
    // change" notices): 1 h access tokens, 10 min client-credentials
    // tokens, 14 d refresh tokens and grants.
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
      Interaction: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
    },
    // Confidential clients keep their refresh token (the library's default
    // policy rotates only public clients' tokens, or old ones): the same
    // token is refreshed n times, as on the caplab side.
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  };
}

// The HTTP server listens first, so that the issuer names the real port
// when --port is 0; the provider's Koa app then handles every request.
let handler = (_req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handler(req, res));
server.keepAliveTimeout = 30_000;
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(args.port), HOST, resolve);
});
const { port } = server.address();
const base = `http://${HOST}:${port}`;
const provider = new Provider(base, configuration());
handler = provider.callback();

// Say why a request failed (the first few), for the benchmark's logs.
let reported = 0;
for (const event of ['grant.error', 'introspection.error', 'server_error']) {
  provider.on(event, (_ctx, err) => {
    if (reported++ < 5) console.error(`bench-oidc-provider: ${event}: ${err.message} ${err.error_detail ?? ''}`);
  });
}

// Seed the refresh token through the models (see the header comment).
async function seedRefreshToken() {
  const client = await provider.Client.find(clientId);
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope('offline_access');
  const grantId = await grant.save();
  const rt = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    scope: 'offline_access',
    gty: 'authorization_code',
    authTime: Math.floor(Date.now() / 1000),
  });
  return rt.save();
}

let refreshToken;
try {
  refreshToken = await seedRefreshToken();
} catch (err) {
  console.error('bench-oidc-provider: seeding the refresh token failed:', err);
  process.exit(1);
}
const { default: pkg } = await import('oidc-provider/package.json', { with: { type: 'json' } })
  .catch(() => ({ default: {} }));
const target = {
  name: 'oidc-provider',
  version: pkg.version,
  issuer: provider.issuer,
  token_endpoint: `${base}/token`,
  introspection_endpoint: `${base}/token/introspection`,
  revocation_endpoint: `${base}/token/revocation`,
  client_id: clientId,
  client_secret: clientSecret,
  refresh_token: refreshToken,
};
if (args.target) writeFileSync(args.target, JSON.stringify(target, null, 2) + '\n');
process.stdout.write(`ready ${port}\n`);

function stop(why) {
  console.error(`bench-oidc-provider: stopping (${why})`);
  server.close();
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
setTimeout(() => stop('max-seconds'), Number(args['max-seconds']) * 1000).unref();
