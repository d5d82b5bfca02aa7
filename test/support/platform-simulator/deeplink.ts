// Deep Linking 2.0 return endpoint (§4.5, §4.6): the tool form-posts a JWT signed with its own key.
import express, { type Express } from 'express';
import { verifyToolJwt } from './keys.js';
import { escapeHtml } from './oidc.js';
import type { Platform } from './platform.js';
import { CLAIM } from './types.js';

export const DEEP_LINK_RETURN_PATH = '/deeplink/return';

export function mountDeepLinkReturn(app: Express, sim: Platform): void {
  app.post(DEEP_LINK_RETURN_PATH, express.urlencoded({ extended: false }), async (req, res): Promise<void> => {
    const fail = (reason: string): void => void res.status(400).type('text/plain').send(`deep linking response rejected: ${reason}`);
    const jwt = typeof req.body?.JWT === 'string' ? req.body.JWT : undefined;
    if (!jwt) return fail('form field JWT missing');
    const tool = sim.tool;
    if (!tool) return fail('no tool registered');

    let payload: Record<string, any>;
    try {
      // The tool is the issuer here (its client_id) and the platform the audience (DL 2.0 §4.5).
      payload = await verifyToolJwt(jwt, tool.jwksUrl, { issuer: tool.clientId, audience: sim.issuer, requiredClaims: ['exp', 'iat', 'nonce'] });
    } catch (e) {
      return fail(`JWT verification failed: ${(e as Error).message}`);
    }
    if (payload[CLAIM.messageType] !== 'LtiDeepLinkingResponse') return fail('message_type must be LtiDeepLinkingResponse');
    if (payload[CLAIM.version] !== '1.3.0') return fail('version must be 1.3.0');
    if (payload[CLAIM.deploymentId] !== sim.deploymentId) return fail('deployment_id does not match');

    const data = payload[CLAIM.dlData];
    const request = typeof data === 'string' ? sim.deepLinkRequests.get(data) : undefined;
    if (!request) return fail('data claim missing or not the one sent in deep_linking_settings');
    if (request.deploymentId !== payload[CLAIM.deploymentId]) return fail('deployment_id differs from the request');
    // One response per deep-linking request: a replayed response must not add items twice.
    if (request.used) return fail('this deep linking request was already answered');

    const items = payload[CLAIM.dlContentItems] ?? [];
    if (!Array.isArray(items)) return fail('content_items must be an array');
    const acceptTypes: string[] = request.settings.accept_types ?? [];
    for (const it of items) {
      if (!it || typeof it.type !== 'string') return fail('every content item needs a type');
      if (!acceptTypes.includes(it.type)) return fail(`content item type ${it.type} not in accept_types`);
    }
    if (request.settings.accept_multiple === false && items.length > 1) return fail('accept_multiple is false but several items were returned');

    request.used = true;
    sim.deepLinkReturns.push({ jwt, payload });
    const msg = payload[CLAIM.dlErrorMsg] ?? payload[CLAIM.dlMsg];
    res
      .type('html')
      .send(`<!doctype html><html><body><p>${items.length} items added</p>${typeof msg === 'string' ? `<p>${escapeHtml(msg)}</p>` : ''}</body></html>`);
  });
}
