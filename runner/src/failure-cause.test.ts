import { describe, expect, it } from "vitest";
import { EngineRunError } from "./engines/engine";
import { failureCauseOf } from "./failure-cause";

describe("failureCauseOf", () => {
  it("keeps this machine's problems runner-side and names model-side ones", () => {
    expect(failureCauseOf(new EngineRunError("oom", "CUDA out of memory", "use a larger GPU"))).toBe("out_of_memory");
    expect(failureCauseOf(new EngineRunError("timeout", "took too long", ""))).toBe("timeout");
    expect(failureCauseOf(new EngineRunError("unsupported-model", "architecture FooForCausalLM", ""))).toBe("unsupported_architecture");
    expect(failureCauseOf(new EngineRunError("crash", "segfault", ""))).toBe("model_crash");
    expect(failureCauseOf(new Error("write /cache: ENOSPC"))).toBe("disk");
    expect(failureCauseOf(new Error("something else"))).toBe("other");
  });
});
