import type { ReactNode } from "react";

export const inputClass =
  "w-full rounded-md border bg-transparent px-3 py-2 text-sm aria-[invalid=true]:border-red-500 border-zinc-300 dark:border-zinc-700 dark:aria-[invalid=true]:border-red-500";

/**
 * A labelled form field with its help text and inline error. The control gets `id`, and should set
 * `aria-invalid` and `aria-describedby={describedBy(id, error, hint)}` so that both texts are read with it.
 */
export function FormField({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm font-medium">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      ) : null}
      {error ? <FieldError id={`${id}-error`} message={error} /> : null}
    </div>
  );
}

export function FieldError({ id, message, children }: { id: string; message: string; children?: ReactNode }) {
  return (
    <p id={id} className="text-sm text-red-700 dark:text-red-400">
      {message}
      {children}
    </p>
  );
}

export function describedBy(id: string, error: string | undefined, hasHint: boolean): string | undefined {
  const ids = [hasHint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(" ") : undefined;
}

/** The first message per field of a zod flattened error (client-side parse, or `error.data.zodError` from the API). */
export function firstErrors(fieldErrors: Record<string, string[] | undefined> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [field, messages] of Object.entries(fieldErrors ?? {})) {
    if (messages?.[0]) result[field] = messages[0];
  }
  return result;
}

/**
 * A refusal from the API as the form shows it: the first message per field (zod's field errors, or the one field a
 * service named), or null when the refusal is about the form as a whole (show `error.message` above it).
 */
export function serverFieldErrors(error: {
  message: string;
  data?: { zodError?: { fieldErrors: Record<string, string[] | undefined> } | null; field?: string | null } | null;
}): Record<string, string> | null {
  if (error.data?.zodError) return firstErrors(error.data.zodError.fieldErrors);
  if (error.data?.field) return { [error.data.field]: error.message };
  return null;
}

export function FormAlert({ children }: { children: ReactNode }) {
  return (
    <div
      role="alert"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    >
      {children}
    </div>
  );
}
