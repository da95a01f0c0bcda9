// @ts-check
/**
 * Security headers for every response (next.config.mjs `headers()`): a Content-Security-Policy that only lets this
 * site's own scripts, styles and connections run, refuses framing (clickjacking), and the usual hardening headers.
 * Next.js inlines its hydration data as inline scripts, so `script-src` allows 'unsafe-inline' but no other origin;
 * development also needs 'unsafe-eval' (React's dev tooling).
 */

/**
 * @param {{ isDev: boolean; oidcIssuer?: string }} options
 * @returns {{ key: string; value: string }[]}
 */
export function securityHeaders({ isDev, oidcIssuer }) {
  const formTargets = ["'self'", "https://github.com", ...(oidcIssuer ? [new URL(oidcIssuer).origin] : [])];
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${isDev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https://avatars.githubusercontent.com",
    "font-src 'self' data:",
    `connect-src 'self'${isDev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action ${formTargets.join(" ")}`,
    "frame-ancestors 'none'",
  ].join("; ");
  return [
    { key: "Content-Security-Policy", value: csp },
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=(), usb=()" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    // Browsers ignore HSTS over plain http, so it is harmless on localhost and binding behind TLS.
    { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" },
  ];
}
