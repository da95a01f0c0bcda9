/**
 * ed25519 signatures over the canonical (RFC 8785 / JCS) serialisation of a submission payload.
 * Shared by the runner (signs) and the server (verifies). Node's own crypto does the ed25519 work.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import canonicalize from "canonicalize";

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("value cannot be serialised canonically");
  return text;
}

export interface RunnerKeyPair {
  /** Raw 32-byte public key, base64url. */
  publicKey: string;
  /** PKCS#8 PEM private key. */
  privateKeyPem: string;
}

export function generateRunnerKeyPair(): RunnerKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    publicKey: rawPublicKey(publicKey),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

function rawPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  if (!jwk.x) throw new Error("not an ed25519 public key");
  return jwk.x;
}

export function publicKeyFromPrivatePem(privateKeyPem: string): string {
  return rawPublicKey(createPublicKey(createPrivateKey(privateKeyPem)));
}

export function signPayload(payload: unknown, privateKeyPem: string): string {
  const data = Buffer.from(canonicalJson(payload), "utf8");
  return sign(null, data, createPrivateKey(privateKeyPem)).toString("base64url");
}

export function verifyPayload(payload: unknown, signature: string, publicKey: string): boolean {
  try {
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" });
    return verify(null, Buffer.from(canonicalJson(payload), "utf8"), key, Buffer.from(signature, "base64url"));
  } catch {
    // A malformed key or signature is simply not a valid signature.
    return false;
  }
}
