/**
 * `pnpm runner login`: checks the token with the server, creates the runner's ed25519 key pair (or keeps the one
 * this config dir already has for the same server, so the runner keeps its identity), registers the public key
 * (idempotent on the server) and stores everything with 0600 permissions.
 */
import os from "node:os";
import { ZRunnerNameSchema, type TTokenScope } from "@/lib/protocol/runner-api";
import { generateRunnerKeyPair, publicKeyFromPrivatePem } from "@/lib/protocol/signing";
import { createRunnerApi, type TWhoAmIResponse } from "./api-client";
import { loadConfigIfPresent, saveConfig, type TRunnerConfig } from "./config";

export const REQUIRED_SCOPES: TTokenScope[] = ["task:pull", "task:submit"];

export class LoginError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "LoginError";
  }
}

export function defaultRunnerName(hostname = os.hostname()): string {
  const cleaned = hostname.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64);
  return cleaned || "runner";
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * The server's address, normalised. Plain `http://` sends the token in the clear, so it is refused for anything but
 * this machine unless `insecure` (`--insecure`) says the operator means it (a lab network, a test).
 */
export function normaliseServer(server: string, options: { insecure?: boolean } = {}): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new LoginError(`${JSON.stringify(server)} is not a URL.`, "Pass the server's address, e.g. --server https://quorum.example.org");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new LoginError(`${server} is not an http(s) URL.`, "Pass the server's address, e.g. --server https://quorum.example.org");
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.has(url.hostname) && !url.hostname.endsWith(".localhost") && !options.insecure) {
    throw new LoginError(
      `${url.origin} is plain http: the API token and every result would cross the network unencrypted.`,
      "Use the server's https:// address, or pass --insecure if this network is trusted (a lab, a test).",
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export async function login(options: {
  server: string;
  token: string;
  configDir: string;
  name?: string;
  gpu?: string | null;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Allow plain http to a host other than this machine. */
  insecure?: boolean;
}): Promise<{ config: TRunnerConfig; whoami: TWhoAmIResponse; file: string; keptKey: boolean }> {
  const server = normaliseServer(options.server, { insecure: options.insecure });
  const nameResult = ZRunnerNameSchema.safeParse(options.name ?? defaultRunnerName());
  if (!nameResult.success) {
    throw new LoginError(`Invalid runner name: ${nameResult.error.issues[0]?.message ?? "invalid"}.`, "Pick a name with --name (letters, digits, '.', '_', '-').");
  }
  const api = createRunnerApi({ server, token: options.token, fetch: options.fetch, retry: { attempts: 2, baseDelayMs: 500, maxDelayMs: 2000 } });
  const whoami = await api.whoami();
  const missing = REQUIRED_SCOPES.filter((scope) => !whoami.scopes.includes(scope));
  if (missing.length > 0) {
    throw new LoginError(
      `This token lacks the ${missing.join(" and ")} scope${missing.length > 1 ? "s" : ""} a runner needs.`,
      "Create a token with the task:pull and task:submit scopes on your account page and log in with it.",
    );
  }
  const previous = await loadConfigIfPresent(options.configDir).catch(() => null);
  const keep = previous !== null && previous.server === server;
  const keys = keep
    ? { publicKey: publicKeyFromPrivatePem(previous.privateKeyPem), privateKeyPem: previous.privateKeyPem }
    : generateRunnerKeyPair();
  const registered = await api.register({ name: nameResult.data, publicKey: keys.publicKey, gpu: options.gpu ?? null });
  const config: TRunnerConfig = {
    version: 1,
    server,
    token: options.token,
    runner: { id: registered.runnerId, name: registered.name, ownerName: registered.ownerName },
    publicKey: keys.publicKey,
    privateKeyPem: keys.privateKeyPem,
    createdAt: (options.now?.() ?? new Date()).toISOString(),
  };
  const file = await saveConfig(options.configDir, config);
  return { config, whoami, file, keptKey: keep };
}
