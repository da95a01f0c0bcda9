/**
 * Interactive transactions wait for a pooled connection. Prisma's default wait (2 s) turns a burst of submissions
 * from many runners into errors; a runner would rather wait a little longer than retry.
 */
export const TRANSACTION_OPTIONS = { maxWait: 20_000, timeout: 30_000 } as const;
