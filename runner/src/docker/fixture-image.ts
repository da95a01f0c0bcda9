/**
 * Builds the fixture engine's image locally, with no registry: the host's node binary and the shared libraries it
 * links (from `ldd`), plus runner/fixture-image/*.mjs, on `FROM scratch`, sent as a tar stream (keeps file modes,
 * and is much faster than dockerode's own context packing). Tagged by a hash of its inputs, so building is
 * idempotent: an existing tag is reused. Linux hosts only (the image runs the host's own node binary).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DockerError, type ContainerEngine, type ImageInfo } from "./docker";
import { tarStream, type TarEntry } from "./tar";

const run = promisify(execFile);

export const FIXTURE_IMAGE_REPO = "quorum/fixture-engine";
export const FIXTURE_IMAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixture-image");

export interface FixtureImageInputs {
  nodePath: string;
  libraries: string[];
  programFiles: Array<{ name: string; content: Buffer }>;
  dockerfile: Buffer;
}

/** The libraries a dynamically linked binary needs, as `ldd` lists them (absolute paths, loader included). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("ldd", [binary]));
  } catch (error) {
    const text = `${(error as { stdout?: string }).stdout ?? ""}${(error as { stderr?: string }).stderr ?? ""}`;
    if (/not a dynamic executable|statically linked/.test(text)) return [];
    throw new DockerError(
      `Listing the libraries of ${binary} with ldd failed: ${(error as Error).message}`,
      "The fixture image needs a Linux host with ldd (glibc's `libc-bin` package).",
      { cause: error },
    );
  }
  return parseLdd(stdout);
}

export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split("\n")) {
    const arrow = line.match(/=>\s+(\/\S+)\s+\(/);
    const bare = line.match(/^\s*(\/\S+)\s+\(/);
    const file = arrow?.[1] ?? bare?.[1];
    if (file) libs.push(file);
  }
  return [...new Set(libs)];
}

export async function collectFixtureInputs(nodePath = process.execPath): Promise<FixtureImageInputs> {
  if (process.platform !== "linux") {
    throw new DockerError(
      "The fixture engine image is built from the host's node binary, which only works on Linux hosts.",
      "Run the fixture engine on Linux (CI, a Linux box or VM); on macOS/Windows use the vllm engine.",
    );
  }
  const realNode = await realpath(nodePath);
  const names = (await readdir(FIXTURE_IMAGE_DIR)).filter((n) => n.endsWith(".mjs")).sort();
  const programFiles = await Promise.all(names.map(async (name) => ({ name, content: await readFile(path.join(FIXTURE_IMAGE_DIR, name)) })));
  return {
    nodePath: realNode,
    libraries: await sharedLibraries(realNode),
    programFiles,
    dockerfile: await readFile(path.join(FIXTURE_IMAGE_DIR, "Dockerfile")),
  };
}

/** The tag: a hash of everything that goes into the image (program, Dockerfile, node binary identity, libraries). */
export async function fixtureImageTag(inputs: FixtureImageInputs): Promise<string> {
  const hash = createHash("sha256");
  hash.update(inputs.dockerfile);
  for (const file of inputs.programFiles) hash.update(`${file.name}\0`).update(file.content);
  for (const binary of [inputs.nodePath, ...inputs.libraries]) {
    const info = await stat(binary);
    hash.update(`${binary}\0${info.size}\0${info.mtimeMs}\0`);
  }
  hash.update(process.version);
  return `${FIXTURE_IMAGE_REPO}:${hash.digest("hex").slice(0, 16)}`;
}

async function contextEntries(inputs: FixtureImageInputs): Promise<TarEntry[]> {
  const entries: TarEntry[] = [{ type: "file", name: "Dockerfile", mode: 0o644, content: inputs.dockerfile }];
  const dirs = new Set<string>(["rootfs", "rootfs/tmp", "rootfs/engine", "rootfs/task", "rootfs/out", "rootfs/models", "rootfs/usr", "rootfs/usr/bin"]);
  const files: TarEntry[] = [];
  for (const lib of inputs.libraries) {
    const real = await realpath(lib);
    const size = (await stat(real)).size;
    const target = `rootfs${lib}`;
    for (let dir = path.posix.dirname(target); dir !== "rootfs" && dir !== "."; dir = path.posix.dirname(dir)) dirs.add(dir);
    files.push({ type: "file", name: target, mode: 0o755, sourcePath: real, size });
  }
  files.push({ type: "file", name: "rootfs/usr/bin/node", mode: 0o755, sourcePath: inputs.nodePath, size: (await stat(inputs.nodePath)).size });
  for (const file of inputs.programFiles) files.push({ type: "file", name: `rootfs/engine/${file.name}`, mode: 0o644, content: file.content });
  const dirEntries: TarEntry[] = [...dirs].sort().map((name) => ({ type: "dir", name, mode: name === "rootfs/tmp" ? 0o1777 : 0o755 }));
  return [...entries, ...dirEntries, ...files];
}

export interface EnsureFixtureImageOptions {
  engine: ContainerEngine;
  /** Rebuild even when the tag exists. */
  force?: boolean;
  onLine?: (line: string) => void;
}

/** Returns the image (building it when missing): idempotent, and about 2 s when it does build. */
export async function ensureFixtureImage(options: EnsureFixtureImageOptions): Promise<{ tag: string; image: ImageInfo; built: boolean }> {
  const inputs = await collectFixtureInputs();
  const tag = await fixtureImageTag(inputs);
  if (!options.force) {
    const existing = await options.engine.inspectImage(tag);
    if (existing) return { tag, image: existing, built: false };
  }
  const image = await options.engine.buildImage(tarStream(await contextEntries(inputs)), tag, { onLine: options.onLine });
  return { tag, image, built: true };
}
