import { describe, expect, it } from "vitest";
import { safeCallbackUrl, safeRedirect } from "@/server/auth/safe-callback-url";

describe("safeCallbackUrl", () => {
  it("keeps paths on this site", () => {
    expect(safeCallbackUrl("/submit")).toBe("/submit");
    expect(safeCallbackUrl("/models/abc?tab=tasks#x")).toBe("/models/abc?tab=tasks#x");
  });
  it.each(["/%5Cevil.com", "/\\evil.com", "//evil.com", "https://evil.com", "/%2F/evil.com", "javascript:alert(1)", "/\tevil", "", "evil.com"])(
    "sends %j home",
    (callback) => {
      expect(safeCallbackUrl(callback)).toBe("/");
    },
  );
  it("next-auth's redirect keeps same-origin paths and refuses the rest", () => {
    const base = "https://quorum.example";
    expect(safeRedirect(`${base}/account`, base)).toBe(`${base}/account`);
    expect(safeRedirect("/%5Cevil.com", base)).toBe(`${base}/`);
    expect(safeRedirect("https://evil.com/x", base)).toBe(`${base}/`);
    expect(safeRedirect(`${base}.evil.com/x`, base)).toBe(`${base}/`);
  });
});
