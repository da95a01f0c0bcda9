/** Epochs are fixed windows of EPOCH_MINUTES since the Unix epoch: epoch n covers [n*len, (n+1)*len). */
export function epochOf(now: Date, epochMinutes: number): number {
  return Math.floor(now.getTime() / (epochMinutes * 60_000));
}

export function epochStart(epoch: number, epochMinutes: number): Date {
  return new Date(epoch * epochMinutes * 60_000);
}
