"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";

export function SignInForm({ providers, callbackUrl }: { providers: { id: string; name: string }[]; callbackUrl: string }) {
  const [username, setUsername] = useState("");
  const oauth = providers.filter((provider) => provider.id !== "dev");
  const hasDev = providers.some((provider) => provider.id === "dev");
  return (
    <div className="space-y-4">
      {oauth.map((provider) => (
        <button
          key={provider.id}
          type="button"
          onClick={() => void signIn(provider.id, { callbackUrl })}
          className="w-full rounded-md bg-zinc-900 px-4 py-2 font-medium text-white dark:bg-white dark:text-zinc-900"
        >
          Sign in with {provider.name}
        </button>
      ))}
      {hasDev ? (
        <form
          className="space-y-3 rounded-md border border-amber-300 p-4 dark:border-amber-700"
          onSubmit={(event) => {
            event.preventDefault();
            void signIn("dev", { username, callbackUrl });
          }}
        >
          <p className="text-sm text-amber-800 dark:text-amber-300">Development sign-in: any user name signs you in as that user.</p>
          <label className="block text-sm font-medium" htmlFor="dev-username">
            User name
          </label>
          <input
            id="dev-username"
            name="username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            required
            pattern="[a-z0-9][a-z0-9\-]{1,31}"
            title="2-32 lowercase letters, digits or '-'"
            className="w-full rounded-md border border-zinc-300 bg-transparent px-3 py-2 dark:border-zinc-700"
          />
          <button type="submit" className="w-full rounded-md bg-amber-600 px-4 py-2 font-medium text-white">
            Sign in (development)
          </button>
        </form>
      ) : null}
    </div>
  );
}
