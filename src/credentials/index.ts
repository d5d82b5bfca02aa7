export { createSigningKeyStore, type SigningKeyStore, type PublicSigningKey, type SigningAlg } from './keys.js';
