// Platform OpenID configuration (LTI DR 1.0 §3.4), JWKS, and the registration endpoint (DR 1.0 §3.5, RFC 7591).
import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import { PRODUCT_INFO } from './claims.js';
import type { Platform } from './platform.js';
import { CLAIM, SERVICE_SCOPES } from './types.js';

function isUrl(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  try {
    new URL(v);
    return true;
  } catch {
    return false;
  }
}

/** Returns why the client metadata is unacceptable, or undefined. */
export function validateRegistration(r: any): string | undefined {
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'body must be a JSON object';
  if (r.application_type !== 'web') return 'application_type must be "web"';
  if (!Array.isArray(r.response_types) || !r.response_types.includes('id_token')) return 'response_types must be ["id_token"]';
  if (!Array.isArray(r.grant_types) || !r.grant_types.includes('implicit') || !r.grant_types.includes('client_credentials'))
    return 'grant_types must include "implicit" and "client_credentials"';
  if (!isUrl(r.initiate_login_uri)) return 'initiate_login_uri must be a URL';
  if (!Array.isArray(r.redirect_uris) || r.redirect_uris.length === 0 || !r.redirect_uris.every(isUrl)) return 'redirect_uris must be a non-empty array of URLs';
  if (!isUrl(r.jwks_uri)) return 'jwks_uri must be a URL';
  if (r.token_endpoint_auth_method !== 'private_key_jwt') return 'token_endpoint_auth_method must be "private_key_jwt"';
  if (r.scope !== undefined && typeof r.scope !== 'string') return 'scope must be a space-separated string';
  const tc = r[CLAIM.toolConfiguration];
  if (!tc || typeof tc !== 'object') return `${CLAIM.toolConfiguration} missing`;
  if (typeof tc.domain !== 'string' || !tc.domain) return 'tool configuration: domain missing';
  if (!isUrl(tc.target_link_uri)) return 'tool configuration: target_link_uri must be a URL';
  if (!Array.isArray(tc.messages)) return 'tool configuration: messages must be an array';
  for (const m of tc.messages) if (!m || typeof m.type !== 'string') return 'tool configuration: every message needs a type';
  return undefined;
}

export function mountRegistration(app: Express, sim: Platform): void {
  app.get(sim.paths.openid, (_req, res) => {
    const dlPlacements = sim.product === 'moodle' ? ['ContentArea'] : ['assignment_selection', 'link_selection', 'editor_button'];
    res.json({
      issuer: sim.issuer,
      authorization_endpoint: sim.authUrl,
      token_endpoint: sim.tokenUrl,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
      jwks_uri: sim.jwksUrl,
      registration_endpoint: sim.registrationUrl,
      scopes_supported: ['openid', ...SERVICE_SCOPES],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
      [CLAIM.platformConfiguration]: {
        product_family_code: sim.product,
        version: PRODUCT_INFO[sim.product].version,
        messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest', placements: dlPlacements }],
        variables: ['Context.id', 'Context.title', 'ResourceLink.id', 'User.id', 'Person.email.primary', 'Person.name.full'],
      },
    });
  });

  app.get(sim.paths.jwks, async (_req, res) => {
    if (sim.jwksDelayMs > 0) await new Promise((r) => setTimeout(r, sim.jwksDelayMs).unref());
    res.set('cache-control', 'no-store').json(sim.keys.jwks());
  });

  app.post(sim.paths.registration, express.json({ type: ['application/json', 'application/*+json'] }), (req, res): void => {
    const auth = req.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(auth)?.[1];
    if (!token || !sim.registrationTokens.has(token)) {
      return void res.status(401).set('www-authenticate', 'Bearer error="invalid_token"').json({ error: 'invalid_token', error_description: 'missing, unknown or already used registration token' });
    }
    const problem = validateRegistration(req.body);
    // A rejected request leaves the token usable so the tool can fix its metadata and retry.
    if (problem) return void res.status(400).json({ error: 'invalid_client_metadata', error_description: problem });
    sim.registrationTokens.delete(token);

    const r = req.body;
    const clientId = randomBytes(12).toString('hex');
    const requested: string[] = typeof r.scope === 'string' ? r.scope.split(' ').filter(Boolean) : [];
    // Only service scopes this platform knows are granted; the response tells the tool which ones.
    const granted = requested.filter((s) => SERVICE_SCOPES.includes(s));
    sim.registration = structuredClone(r);
    sim.tool = {
      clientId,
      loginUrl: r.initiate_login_uri,
      redirectUris: [...r.redirect_uris],
      jwksUrl: r.jwks_uri,
      scopes: granted,
      targetLinkUri: r[CLAIM.toolConfiguration].target_link_uri,
    };
    res.status(201).json({
      ...r,
      client_id: clientId,
      ...(typeof r.scope === 'string' && { scope: granted.join(' ') }),
      [CLAIM.toolConfiguration]: { ...r[CLAIM.toolConfiguration], deployment_id: sim.deploymentId },
    });
  });
}
