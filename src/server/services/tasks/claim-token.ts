import { createHash, randomBytes } from "node:crypto";

/** A claim token is a random secret handed to one runner for one assignment; only its sha256 is stored. */
export function mintClaimToken(): { token: string; hash: string } {
  const token = `clm_${randomBytes(24).toString("base64url")}`;
  return { token, hash: hashClaimToken(token) };
}

export function hashClaimToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
