// Open Badges 3.0 credentials: keys, building, both proofs, status lists, verification, baking.
import type { Db } from '../db/index.js';
import type { Clock } from '../shared/index.js';
import { createIssuerDocuments } from './issuer-documents.js';
import { createJwtSignPool } from './jwt-sign-pool.js';
import { createSigningKeyStore } from './keys.js';
import { achievement, urls, type BadgeInfo, type IssuerInfo, type SharedCredentialInput } from './ob3.js';
import { createSigners } from './signers.js';
import { createStatusLists } from './status-lists.js';
import { createVerifier } from './verify.js';

export { createSigningKeyStore, type SigningKeyStore, type PublicSigningKey, type SigningAlg, type ActiveKey } from './keys.js';
export type { VerificationResult, Check } from './verify.js';
export { urls as credentialUrls, identityHash, buildCredential, jwtClaimsOf, recipientIdentity } from './ob3.js';
export type { SharedCredentialInput, AwardCredentialInput, RecipientIdentity, BuiltCredential } from './ob3.js';

export function createCredentials(deps: { db: Db; publicUrl: string; secretKey: string; clock: Clock; keys?: ReturnType<typeof createSigningKeyStore>; signingThreads?: number }) {
  const keys = deps.keys ?? createSigningKeyStore({ db: deps.db, secretKey: deps.secretKey });
  const issuerDocs = createIssuerDocuments({ db: deps.db, keys, publicUrl: deps.publicUrl });
  // Signatures a request waits for (an instructor's manual award of several learners) and the
  // signing queue's (background work, at the lowest priority) run on threads of their own; each
  // pool starts its threads when first used.
  const pool = createJwtSignPool(deps.signingThreads, 10);
  const backgroundPool = createJwtSignPool(deps.signingThreads, 19);
  const signers = createSigners({ keys, issuerDocs, publicUrl: deps.publicUrl, pool, backgroundPool });
  const statusLists = createStatusLists({ db: deps.db, signers, publicUrl: deps.publicUrl, clock: deps.clock });
  const verifier = createVerifier({ keys, signers, statusLists, publicUrl: deps.publicUrl, clock: deps.clock });
  const u = urls(deps.publicUrl);
  return {
    keys,
    issuerDocs,
    signers,
    statusLists,
    verifier,
    urls: u,
    /** Stops the signing threads. */
    close: async () => {
      await Promise.all([pool.close(), backgroundPool.close()]);
    },
    /** What the credentials of a badge's awards share, only the fields a credential shows (kept once for the awards waiting to be signed). */
    sharedInput: (issuer: IssuerInfo, badge: BadgeInfo): SharedCredentialInput => ({
      publicUrl: deps.publicUrl,
      issuer: { tenantId: issuer.tenantId, name: issuer.name, url: issuer.url, email: issuer.email },
      badge: { id: badge.id, name: badge.name, description: badge.description, criteria: badge.criteria, imageUrl: badge.imageUrl, skills: badge.skills.map((k) => ({ name: k.name, ...(k.url !== undefined ? { url: k.url } : {}) })) },
    }),
    achievement: (badge: BadgeInfo) => achievement(deps.publicUrl, badge),
    /** The image a badge shows: an uploaded one, an external URL, or the generated default. */
    badgeImageUrl: (badge: { id: string; imageId: string | null; imageUrl: string | null }) =>
      badge.imageId ? `${deps.publicUrl}/ob/images/${badge.imageId}` : (badge.imageUrl ?? u.achievementImage(badge.id)),
  };
}

export type Credentials = ReturnType<typeof createCredentials>;
export { bakePng, bakeSvg, unbakePng, unbakeSvg, defaultBadgeSvg } from './baking.js';
export { linkedInAddToProfileUrl } from './linkedin.js';
