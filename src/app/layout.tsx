import type { Metadata } from "next";
import type { ReactNode } from "react";
import { SiteHeader } from "@/app/_components/site-header";
import { TRPCReactProvider } from "@/trpc/react";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Quorum — open LLM leaderboard", template: "%s · Quorum" },
  description:
    "A community-run, zero-storage leaderboard for open LLM and LoRA checkpoints, cross-checked by independent volunteer runners.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-white font-sans text-zinc-900 antialiased dark:bg-zinc-950 dark:text-zinc-100">
        <TRPCReactProvider>
          <SiteHeader />
          <main className="mx-auto w-full max-w-7xl px-4 py-6 sm:px-6">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
