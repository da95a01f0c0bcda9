import type { Metadata, Viewport } from "next";
import { env } from "@/env";
import type { ReactNode } from "react";
import { SiteHeader } from "@/app/_components/site-header";
import { TRPCReactProvider } from "@/trpc/react";
import "./globals.css";

const DESCRIPTION =
  "A community-run, zero-storage leaderboard for open LLM and LoRA checkpoints, cross-checked by independent volunteer runners.";

export const metadata: Metadata = {
  metadataBase: new URL(env.NEXTAUTH_URL ?? "http://localhost:3000"),
  title: { default: "Quorum — open LLM leaderboard", template: "%s · Quorum" },
  description: DESCRIPTION,
  applicationName: "Quorum",
  manifest: "/manifest.webmanifest",
  icons: {
    icon: [
      { url: "/favicon.svg", type: "image/svg+xml" },
      { url: "/favicon.ico", sizes: "48x48" },
    ],
    apple: "/apple-touch-icon.png",
  },
  openGraph: {
    type: "website",
    siteName: "Quorum",
    title: "Quorum — open LLM leaderboard",
    description: DESCRIPTION,
    images: [{ url: "/og-board.png", width: 1200, height: 630, alt: "Quorum: the open LLM leaderboard scored by volunteers" }],
  },
  twitter: { card: "summary_large_image" },
};

export const viewport: Viewport = {
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#ffffff" },
    { media: "(prefers-color-scheme: dark)", color: "#09090b" },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-white font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <TRPCReactProvider>
          <SiteHeader />
          <main id="main" className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6">
            {children}
          </main>
          <footer className="mx-auto w-full max-w-7xl px-4 pb-8 text-xs text-zinc-500 sm:px-6 dark:text-zinc-400">
            Quorum stores references to Hugging Face checkpoints, never weights. Every score is recomputed by the server
            from the outputs volunteers submit, and published only when independent runners agree.
          </footer>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
