import { describe, expect, it } from "vitest";
import { LoginError, normaliseServer } from "./login";

describe("runner login's server address", () => {
  it("refuses plain http to another machine unless --insecure", () => {
    expect(() => normaliseServer("http://quorum.example.org")).toThrow(LoginError);
    expect(() => normaliseServer("http://10.0.0.5:3000")).toThrow(/plain http.*unencrypted/);
    expect(normaliseServer("http://10.0.0.5:3000/", { insecure: true })).toBe("http://10.0.0.5:3000");
  });

  it("accepts https anywhere and http to this machine", () => {
    expect(normaliseServer("https://quorum.example.org/")).toBe("https://quorum.example.org");
    expect(normaliseServer("http://localhost:3000")).toBe("http://localhost:3000");
    expect(normaliseServer("http://127.0.0.1:3000")).toBe("http://127.0.0.1:3000");
    expect(normaliseServer("http://[::1]:3000")).toBe("http://[::1]:3000");
  });
});
