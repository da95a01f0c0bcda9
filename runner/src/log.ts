/**
 * Short readable logs for people, or one JSON object per line (`--json`) for harnesses and log shippers.
 * Human logs go to stderr (stdout stays free for command results); JSON logs go to stdout.
 * Every line passes through the secret scrubber.
 */
import { redactFields, redactSecrets } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly isJson: boolean;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A machine-readable event (progress, lifecycle). JSON mode prints it; human mode prints nothing. */
  event(name: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** Where lines end up; progress bars swap the human sink so that log lines do not tear the bars. */
export interface LogSink {
  writeHuman(line: string): void;
  writeJson(line: string): void;
}

export const defaultSink: LogSink = {
  writeHuman: (line) => process.stderr.write(`${line}\n`),
  writeJson: (line) => process.stdout.write(`${line}\n`),
};

export interface LoggerOptions {
  json?: boolean;
  level?: LogLevel;
  sink?: LogSink;
  /** Injected clock for tests. */
  now?: () => Date;
  color?: boolean;
}

class SinkHolder {
  constructor(public sink: LogSink) {}
}

export function createLogger(options: LoggerOptions = {}): Logger & { setSink(sink: LogSink): void; getSink(): LogSink } {
  const holder = new SinkHolder(options.sink ?? defaultSink);
  const isJson = options.json ?? false;
  const minLevel = LEVELS[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const color = options.color ?? (!isJson && Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);

  function make(bound: LogFields): Logger {
    function write(level: LogLevel | "event", message: string, fields?: LogFields): void {
      if (level !== "event" && LEVELS[level] < minLevel) return;
      const all = { ...bound, ...fields };
      if (isJson) {
        const record =
          level === "event"
            ? { time: now().toISOString(), event: message, ...(redactFields(all) as LogFields) }
            : { time: now().toISOString(), level, msg: redactSecrets(message), ...(redactFields(all) as LogFields) };
        holder.sink.writeJson(JSON.stringify(record));
        return;
      }
      if (level === "event") return;
      holder.sink.writeHuman(formatHuman(now(), level, message, all, color));
    }
    return {
      isJson,
      debug: (m, f) => write("debug", m, f),
      info: (m, f) => write("info", m, f),
      warn: (m, f) => write("warn", m, f),
      error: (m, f) => write("error", m, f),
      event: (name, f) => write("event", name, f),
      child: (fields) => make({ ...bound, ...fields }),
    };
  }

  return Object.assign(make({}), {
    setSink: (sink: LogSink) => {
      holder.sink = sink;
    },
    getSink: () => holder.sink,
  });
}

const LEVEL_LABEL: Record<LogLevel, string> = { debug: "debug", info: "info ", warn: "warn ", error: "error" };
const LEVEL_COLOR: Record<LogLevel, string> = { debug: "\x1b[90m", info: "\x1b[36m", warn: "\x1b[33m", error: "\x1b[31m" };

export function formatHuman(time: Date, level: LogLevel, message: string, fields: LogFields, color: boolean): string {
  const hh = time.toTimeString().slice(0, 8);
  const extras = Object.entries(redactFields(fields) as LogFields)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${k}=${typeof v === "string" ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(" ");
  const label = color ? `${LEVEL_COLOR[level]}${LEVEL_LABEL[level]}\x1b[0m` : LEVEL_LABEL[level];
  const dim = (s: string) => (color ? `\x1b[90m${s}\x1b[0m` : s);
  return `${dim(hh)} ${label} ${redactSecrets(message)}${extras ? ` ${dim(extras)}` : ""}`;
}

/** A logger that records everything, for tests. */
export function createMemoryLogger(json = true): { logger: Logger; lines: string[]; records: () => LogFields[] } {
  const lines: string[] = [];
  const sink: LogSink = { writeHuman: (l) => lines.push(l), writeJson: (l) => lines.push(l) };
  const logger = createLogger({ json, sink, level: "debug", color: false });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as LogFields) };
}
