// LinkedIn "Add to profile" for a certification: name, organisation, issue (and expiry) month,
// the credential URL and id.

export function linkedInAddToProfileUrl(c: { name: string; organizationName: string; issuedAt: Date; expiresAt: Date | null; credentialUrl: string; credentialId: string }): string {
  const u = new URL('https://www.linkedin.com/profile/add');
  u.searchParams.set('startTask', 'CERTIFICATION_NAME');
  u.searchParams.set('name', c.name);
  u.searchParams.set('organizationName', c.organizationName);
  u.searchParams.set('issueYear', String(c.issuedAt.getUTCFullYear()));
  u.searchParams.set('issueMonth', String(c.issuedAt.getUTCMonth() + 1));
  if (c.expiresAt) {
    u.searchParams.set('expirationYear', String(c.expiresAt.getUTCFullYear()));
    u.searchParams.set('expirationMonth', String(c.expiresAt.getUTCMonth() + 1));
  }
  u.searchParams.set('certUrl', `${c.credentialUrl}?src=linkedin`);
  u.searchParams.set('certId', c.credentialId);
  return u.toString();
}
