// Builds the unsigned OpenBadgeCredential of an award (Open Badges 3.0.3 on VC Data Model 2.0),
// plus the issuer Profile and Achievement documents. Pure: no I/O, no clock.
import { createHash } from 'node:crypto';
import { OB3_CONTEXT, VC_V2_CONTEXT } from './document-loader.js';

export interface IssuerInfo {
  tenantId: string;
  name: string;
  url: string | null;
  email: string | null;
}

export interface BadgeInfo {
  id: string;
  name: string;
  description: string;
  criteria: string;
  imageUrl: string | null;
  skills: Array<{ name: string; url?: string | undefined }>;
}

/** What the credentials of one badge's awards share: kept once (credential_inputs) for the awards waiting to be signed. */
export interface SharedCredentialInput {
  publicUrl: string;
  issuer: IssuerInfo;
  badge: BadgeInfo;
}

/** The recipient as a credential names it: a salted hash of the email, or of the LMS user id. */
export interface RecipientIdentity {
  identityType: 'emailAddress' | 'ltiUserId';
  identityHash: string;
}

/** What is the award's own. */
export interface AwardCredentialInput {
  awardId: string;
  learnerId: string;
  identity: RecipientIdentity;
  salt: string;
  awardedAt: Date;
  validUntil: Date | null;
  status: { listId: string; index: number };
}

export type CredentialInput = SharedCredentialInput & AwardCredentialInput;

/** An OpenBadgeCredential as built here, with the fields its VC-JWT claims mirror. */
export type BuiltCredential = Record<string, unknown> & { id: string; issuer: { id: string }; validFrom: string; validUntil?: string; credentialSubject: Record<string, unknown> & { id: string } };

const urlsOf = (publicUrl: string) => ({
  issuer: (tenantId: string) => `${publicUrl}/ob/issuers/${tenantId}`,
  achievement: (badgeId: string) => `${publicUrl}/ob/achievements/${badgeId}`,
  achievementImage: (badgeId: string) => `${publicUrl}/ob/achievements/${badgeId}/image`,
  credential: (awardId: string) => `${publicUrl}/ob/credentials/${awardId}`,
  statusList: (listId: string) => `${publicUrl}/ob/status/${listId}`,
  key: (kid: string) => `${publicUrl}/ob/keys/${kid}`,
});
type Urls = ReturnType<typeof urlsOf>;
// One set per public URL (a process has one or two): a credential asks for them three times, and a
// batch of 1,000 made 18,000 closures.
const urlsByPublicUrl = new Map<string, Urls>();

export const urls = (publicUrl: string): Urls => {
  let u = urlsByPublicUrl.get(publicUrl);
  if (!u) urlsByPublicUrl.set(publicUrl, (u = urlsOf(publicUrl)));
  return u;
};

/** OB 3.0 identity hash: "sha256$" + hex(sha256(identity + salt)). */
export const identityHash = (identity: string, salt: string): string =>
  `sha256$${createHash('sha256').update(identity + salt).digest('hex')}`;

export function issuerProfile(publicUrl: string, issuer: IssuerInfo): Record<string, unknown> & { id: string } {
  return {
    id: urls(publicUrl).issuer(issuer.tenantId),
    type: ['Profile'],
    name: issuer.name,
    ...(issuer.url ? { url: issuer.url } : {}),
    ...(issuer.email ? { email: issuer.email } : {}),
  };
}

export function achievement(publicUrl: string, badge: BadgeInfo): Record<string, unknown> {
  const u = urls(publicUrl);
  const id = u.achievement(badge.id);
  return {
    id,
    type: ['Achievement'],
    achievementType: 'Badge',
    name: badge.name,
    description: badge.description || badge.name,
    criteria: { narrative: badge.criteria || `Complete the module to earn ${badge.name}.` },
    image: { id: badge.imageUrl ?? u.achievementImage(badge.id), type: 'Image', caption: badge.name },
    ...(badge.skills.length
      ? { alignment: badge.skills.map((s, i) => ({ type: ['Alignment'], targetName: s.name, targetUrl: s.url ?? `${id}#skill-${i + 1}`, targetType: 'ext:Skill' })) }
      : {}),
  };
}

/** Never a plain email in a public document: the hash of the email when the LMS released one, of the LMS user id otherwise. */
export function recipientIdentity(learner: { email: string | null; lmsUserId: string }, salt: string): RecipientIdentity {
  return learner.email
    ? { identityType: 'emailAddress', identityHash: identityHash(learner.email.trim().toLowerCase(), salt) }
    : { identityType: 'ltiUserId', identityHash: identityHash(learner.lmsUserId, salt) };
}

export function buildCredential(c: CredentialInput): BuiltCredential {
  const u = urls(c.publicUrl);
  const identifier = { type: 'IdentityObject', identityType: c.identity.identityType, hashed: true, identityHash: c.identity.identityHash, salt: c.salt };
  return {
    '@context': [VC_V2_CONTEXT, OB3_CONTEXT],
    id: u.credential(c.awardId),
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    issuer: issuerProfile(c.publicUrl, c.issuer),
    validFrom: iso(c.awardedAt),
    ...(c.validUntil ? { validUntil: iso(c.validUntil) } : {}),
    name: c.badge.name,
    credentialSubject: {
      // A stable pseudonymous id per learner: the VC-JWT needs a `sub`.
      id: `urn:uuid:${c.learnerId}`,
      type: ['AchievementSubject'],
      identifier: [identifier],
      achievement: achievement(c.publicUrl, c.badge),
    },
    credentialStatus: {
      id: `${u.statusList(c.status.listId)}#${c.status.index}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(c.status.index),
      statusListCredential: u.statusList(c.status.listId),
    },
  };
}

/**
 * The VC-JWT payload: the credential, with iss (its issuer's id), jti, sub, nbf (and exp) mirrored
 * as claims (VC-JWT 1.1 §3.2.2).
 */
export function jwtClaimsOf(credential: BuiltCredential): Record<string, unknown> {
  return {
    ...credential,
    iss: credential.issuer.id,
    jti: credential.id,
    sub: credential.credentialSubject.id,
    nbf: Math.floor(Date.parse(credential.validFrom) / 1000),
    ...(credential.validUntil ? { exp: Math.floor(Date.parse(credential.validUntil) / 1000) } : {}),
  };
}

// Seconds precision, as the examples of the spec and most verifiers expect.
export const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
