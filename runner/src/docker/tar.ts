/**
 * A minimal ustar writer for Docker build contexts: regular files and directories with exact modes, owner 0,
 * mtime 0 (so the same inputs give the same bytes). Streams file contents instead of holding them in memory.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";

export type TarEntry =
  | { type: "dir"; name: string; mode: number }
  | { type: "file"; name: string; mode: number; content: Buffer }
  | { type: "file"; name: string; mode: number; sourcePath: string; size: number };

const BLOCK = 512;

export function tarStream(entries: TarEntry[]): Readable {
  return Readable.from(generate(entries));
}

async function* generate(entries: TarEntry[]): AsyncGenerator<Buffer> {
  for (const entry of entries) {
    const size = entry.type === "dir" ? 0 : "content" in entry ? entry.content.length : entry.size;
    yield header(entry.type === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name, entry.mode, size, entry.type === "dir" ? "5" : "0");
    if (entry.type === "file") {
      let written = 0;
      if ("content" in entry) {
        yield entry.content;
        written = entry.content.length;
      } else {
        for await (const chunk of createReadStream(entry.sourcePath)) {
          written += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
      }
      if (written !== size) throw new Error(`tar: ${entry.name} changed size while being archived (${written} != ${size})`);
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad) yield Buffer.alloc(pad);
    }
  }
  yield Buffer.alloc(BLOCK * 2);
}

function header(name: string, mode: number, size: number, typeflag: "0" | "5"): Buffer {
  const buf = Buffer.alloc(BLOCK);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  buf.write(base, 0, 100, "utf8");
  writeOctal(buf, mode & 0o7777, 100, 8);
  writeOctal(buf, 0, 108, 8);
  writeOctal(buf, 0, 116, 8);
  writeOctal(buf, size, 124, 12);
  writeOctal(buf, 0, 136, 12);
  buf.fill(" ", 148, 156);
  buf.write(typeflag, 156, 1, "ascii");
  buf.write("ustar\u0000", 257, 6, "ascii");
  buf.write("00", 263, 2, "ascii");
  buf.write("root", 265, 32, "ascii");
  buf.write("root", 297, 32, "ascii");
  buf.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += buf[i] ?? 0;
  buf.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "ascii");
  return buf;
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, length, "ascii");
}
