"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { z } from "zod";
import { CopyButton } from "@/app/_components/copy-button";
import { describedBy, firstErrors, FormAlert, FormField, inputClass, serverFieldErrors } from "@/app/_components/form-field";
import { RelativeTime } from "@/app/_components/relative-time";
import { Badge } from "@/app/_components/status-badge";
import { ZCreateTokenRequestSchema as ZTokenFormSchema } from "@/server/services/tokens/token-input";
import type { TTokenScope } from "@/lib/protocol/runner-api";
import { useTRPC } from "@/trpc/react";
import { ColumnHeaders } from "@/app/_components/column-headers";

const SCOPES: { scope: TTokenScope; label: string; isAdminOnly?: boolean }[] = [
  { scope: "task:pull", label: "claim tasks (a runner needs this)" },
  { scope: "task:submit", label: "submit results (a runner needs this)" },
  { scope: "model:register", label: "register models from scripts" },
  { scope: "benchmark:create", label: "add benchmarks and change their settings", isAdminOnly: true },
];

export function TokensPanel({ serverUrl, isAdmin }: { serverUrl: string; isAdmin: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data: tokens } = useSuspenseQuery(trpc.token.list.queryOptions());
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<TTokenScope[]>(["task:pull", "task:submit"]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: (result, input) => {
        setCreated({ name: input.name, token: result.token });
        setName("");
        void queryClient.invalidateQueries(trpc.token.list.queryFilter());
      },
      onError: (error) => {
        const fields = serverFieldErrors(error);
        if (fields) setErrors(fields);
        else setFormError(error.message);
      },
    }),
  );
  const revoke = useMutation(
    trpc.token.revoke.mutationOptions({
      onSuccess: () => {
        setConfirming(null);
        void queryClient.invalidateQueries(trpc.token.list.queryFilter());
      },
      onError: (error) => setFormError(error.message),
    }),
  );

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    setCreated(null);
    const parsed = ZTokenFormSchema.safeParse({ name, scopes });
    if (!parsed.success) {
      setErrors(firstErrors(z.flattenError(parsed.error).fieldErrors));
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };

  const toggle = (scope: TTokenScope, isChecked: boolean) =>
    setScopes((current) => (isChecked ? [...current, scope] : current.filter((candidate) => candidate !== scope)));

  return (
    <section aria-labelledby="tokens-heading" className="space-y-4">
      <div>
        <h2 id="tokens-heading" className="text-lg font-semibold">
          API tokens
        </h2>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          A runner signs in with a token. Quorum keeps only a hash: a new token is shown once, so copy it right away.
        </p>
      </div>

      {created ? (
        <div
          role="status"
          className="space-y-2 rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-sm dark:border-emerald-800 dark:bg-emerald-950/60"
        >
          <p className="font-medium">
            Token “{created.name}” created. Copy it now: it will not be shown again.
          </p>
          <div className="flex flex-wrap items-center gap-2">
            <input
              readOnly
              aria-label="New token"
              value={created.token}
              onFocus={(event) => event.target.select()}
              className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-3 py-1.5 font-mono text-xs dark:border-zinc-700 dark:bg-zinc-950"
            />
            <CopyButton text={created.token} label="Copy token" />
          </div>
          <p className="text-xs text-zinc-600 dark:text-zinc-400">Then, on the runner&apos;s machine:</p>
          <pre className="overflow-x-auto rounded bg-white p-2 font-mono text-xs dark:bg-zinc-950">
            {`pnpm runner login --server ${serverUrl} --token ${created.token}\npnpm runner start`}
          </pre>
          <button type="button" onClick={() => setCreated(null)} className="text-xs underline">
            I have copied it
          </button>
        </div>
      ) : null}

      <form noValidate onSubmit={onSubmit} aria-label="Create a token" className="max-w-xl space-y-4 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800">
        <FormField id="token-name" label="Token name" hint="Where it will be used, e.g. “home-4090”." error={errors.name}>
          <input
            id="token-name"
            name="name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={describedBy("token-name", errors.name, true)}
            autoComplete="off"
            className={inputClass}
          />
        </FormField>
        <fieldset className="space-y-1" aria-describedby={errors.scopes ? "token-scopes-error" : undefined}>
          <legend className="text-sm font-medium">Scopes</legend>
          {SCOPES.filter((entry) => !entry.isAdminOnly || isAdmin).map((entry) => (
            <label key={entry.scope} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                name="scopes"
                value={entry.scope}
                checked={scopes.includes(entry.scope)}
                onChange={(event) => toggle(entry.scope, event.target.checked)}
              />
              <code className="text-xs">{entry.scope}</code>
              <span className="text-zinc-600 dark:text-zinc-400">{entry.label}</span>
            </label>
          ))}
          {errors.scopes ? (
            <p id="token-scopes-error" className="text-sm text-red-700 dark:text-red-400">
              {errors.scopes}
            </p>
          ) : null}
        </fieldset>
        {formError ? <FormAlert>{formError}</FormAlert> : null}
        <button
          type="submit"
          disabled={create.isPending}
          className="rounded-md bg-zinc-900 px-4 py-2 text-sm font-medium text-white hover:bg-zinc-700 disabled:opacity-50 dark:bg-white dark:text-zinc-900 dark:hover:bg-zinc-200"
        >
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </form>

      {tokens.length === 0 ? (
        <p className="text-sm text-zinc-500 dark:text-zinc-400">You have no tokens yet.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-zinc-200 dark:border-zinc-800">
          <table className="w-full min-w-[720px] text-sm">
            <caption className="sr-only">Your API tokens</caption>
            <thead className="bg-zinc-50 text-left text-xs text-zinc-600 dark:bg-zinc-900 dark:text-zinc-400">
              <tr>
                <ColumnHeaders labels={["Name", "Token", "Scopes", "Created", "Last used", <span key="actions" className="sr-only">Actions</span>]} />
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-200 dark:divide-zinc-800">
              {tokens.map((token) => (
                <tr key={token.id} className={token.revokedAt ? "text-zinc-400 dark:text-zinc-500" : undefined}>
                  <td className="px-3 py-2 font-medium">{token.name}</td>
                  <td className="px-3 py-2 font-mono text-xs">qrm_{token.prefix}_…</td>
                  <td className="px-3 py-2">
                    <div className="flex flex-wrap gap-1">
                      {token.scopes.map((scope) => (
                        <Badge key={scope}>{scope}</Badge>
                      ))}
                    </div>
                  </td>
                  <td className="px-3 py-2 text-xs">
                    <RelativeTime date={new Date(token.createdAt)} />
                  </td>
                  <td className="px-3 py-2 text-xs">
                    {token.lastUsedAt ? <RelativeTime date={new Date(token.lastUsedAt)} /> : "never"}
                  </td>
                  <td className="px-3 py-2 text-right text-xs">
                    {token.revokedAt ? (
                      <span>
                        revoked <RelativeTime date={new Date(token.revokedAt)} />
                      </span>
                    ) : confirming === token.id ? (
                      <span className="inline-flex items-center gap-2">
                        <span>Runners using it stop at their next request.</span>
                        <button
                          type="button"
                          onClick={() => revoke.mutate({ id: token.id })}
                          disabled={revoke.isPending}
                          className="rounded-md bg-red-600 px-2 py-1 font-medium text-white hover:bg-red-700"
                        >
                          Yes, revoke {token.name}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)} className="underline">
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        onClick={() => setConfirming(token.id)}
                        aria-label={`Revoke ${token.name}`}
                        className="rounded-md border border-red-300 px-2 py-1 font-medium text-red-700 hover:bg-red-50 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
