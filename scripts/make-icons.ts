/**
 * `pnpm make:icons`: renders public/favicon.svg into the PNG icons and favicon.ico, and the board's social preview
 * image (public/og-board.png, 1200 x 630), with the local Chromium. Run after changing the logo; the outputs are
 * committed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "@playwright/test";

const root = path.resolve(import.meta.dirname, "..");
const out = (name: string) => path.join(root, "public", name);
const svg = readFileSync(out("favicon.svg"), "utf8");

/** An .ico holding one PNG image (supported by every current browser). */
function icoOf(png: Buffer, size: number): Buffer {
  const header = Buffer.alloc(22);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(1, 4); // one image
  header.writeUInt8(size >= 256 ? 0 : size, 6);
  header.writeUInt8(size >= 256 ? 0 : size, 7);
  header.writeUInt8(0, 8);
  header.writeUInt8(0, 9);
  header.writeUInt16LE(1, 10); // planes
  header.writeUInt16LE(32, 12); // bits per pixel
  header.writeUInt32LE(png.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, png]);
}

const OG_HTML = `<!doctype html><html><body style="margin:0;width:1200px;height:630px;display:flex;flex-direction:column;
  justify-content:center;padding:0 96px;box-sizing:border-box;background:linear-gradient(135deg,#082f49,#0c4a6e 60%,#075985);
  color:#f0f9ff;font-family:system-ui,sans-serif">
  <div style="display:flex;align-items:center;gap:28px">${svg.replace("<svg ", '<svg width="120" height="120" ')}
    <div style="font-size:88px;font-weight:700;letter-spacing:-2px">Quorum</div></div>
  <div style="font-size:40px;margin-top:36px;line-height:1.25">The open LLM leaderboard scored by volunteers, published only when independent runners agree.</div>
  <div style="font-size:26px;margin-top:36px;color:#bae6fd">Every score with its n and 95% interval · energy per item · open data</div>
</body></html>`;

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    const render = async (size: number) => {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace("<svg ", `<svg width="${size}" height="${size}" `)}</body></html>`);
      return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    };
    for (const [name, size] of [["icon-192.png", 192], ["icon-512.png", 512], ["apple-touch-icon.png", 180]] as const) {
      writeFileSync(out(name), await render(size));
      console.log(`wrote public/${name}`);
    }
    writeFileSync(out("favicon.ico"), icoOf(await render(48), 48));
    console.log("wrote public/favicon.ico");
    await page.setViewportSize({ width: 1200, height: 630 });
    await page.setContent(OG_HTML);
    writeFileSync(out("og-board.png"), await page.screenshot({ clip: { x: 0, y: 0, width: 1200, height: 630 } }));
    console.log("wrote public/og-board.png");
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(`make:icons failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
