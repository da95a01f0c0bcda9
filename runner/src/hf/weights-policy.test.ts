import { describe, expect, it } from "vitest";
import { isAllowedFile, planDownload, WeightsRefusedError, type RepoFile } from "./weights-policy";

const file = (path: string, size = 10): RepoFile => ({ path, size, oid: "a".repeat(40), lfsSha256: null });

describe("the runner's download allow-list", () => {
  it("fetches root-level weights, configs, tokenizers and templates only", () => {
    for (const ok of ["model.safetensors", "config.json", "tokenizer.model", "merges.txt", "chat_template.jinja", "qwen.tiktoken"]) {
      expect(isAllowedFile(ok), ok).toBe(true);
    }
    for (const refused of ["README.md", "sub/model.safetensors", "../evil.json", "..json", "model.exe", ".hidden.json", "a b.json", "x/../../y.safetensors"]) {
      expect(isAllowedFile(refused), refused).toBe(false);
    }
  });

  it("plans no file off the list; weights only in a folder count as none", () => {
    const plan = planDownload("org/m", [file("config.json"), file("model.safetensors"), file("README.md"), file("images/x.png")], { isAdapter: false });
    expect(plan.download.map((f) => f.path)).toEqual(["config.json", "model.safetensors"]);
    expect(() => planDownload("org/m", [file("config.json"), file("nested/model.safetensors")], { isAdapter: false })).toThrow(WeightsRefusedError);
  });

  it("refuses an index that points outside the root", () => {
    const files = [file("config.json"), file("model.safetensors"), file("../x.safetensors")];
    expect(() => planDownload("org/m", files, { isAdapter: false, indexWeightMap: { w: "../x.safetensors" } })).toThrow(/does not fetch/);
  });
});
