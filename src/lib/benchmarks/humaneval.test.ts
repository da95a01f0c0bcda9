import { describe, expect, it } from "vitest";
import { CodeExecutor, executePrograms, type CodeProgram } from "./code-executor/executor";
import { humaneval, humanEvalCompletion, humanEvalProblems, humanEvalProgram } from "./humaneval";
import { scoreOutputsAsync, submittedOutputsSha256 } from "./score-outputs";

// Executes real programs in the real sandbox (pyodide in a locked-down Node process): slow on a 2-core machine.
const SLOW = 300_000;

const TEST = "def check(candidate):\n    assert candidate(2) == 4\n";
const program = (body: string, prefix = ""): CodeProgram => ({ source: `${prefix}def double(x):\n${body}`, test: TEST, entryPoint: "double" });

describe("humaneval@1 definition", () => {
  it("hand-checked: prompt, stop sequences and program of HumanEval/0", () => {
    expect(humaneval.allItemIds()).toHaveLength(164);
    const [request] = humaneval.buildItemRequests("test/0");
    expect(request).toMatchObject({ kind: "generate_until", id: "test/0", until: ["\nclass", "\ndef", "\n#", "\nif", "\nprint"], maxTokens: 1024 });
    expect(request?.kind === "generate_until" && request.prompt.startsWith("from typing import List\n\n\ndef has_close_elements(")).toBe(true);
    expect(humanEvalCompletion("    return True\n\ndef extra():\n    pass")).toBe("    return True\n");
    expect(humanEvalCompletion("    return 1\nif __name__ == '__main__':\n    import os")).toBe("    return 1");
    const built = humanEvalProgram("test/0", "    return False\n# trailing");
    expect(built.entryPoint).toBe("has_close_elements");
    expect(built.source.endsWith('"""\n    return False')).toBe(true);
  });

  it("no canonical solution is changed by the stop-sequence cut", () => {
    for (const problem of humanEvalProblems()) expect(humanEvalCompletion(problem.canonical_solution)).toBe(problem.canonical_solution);
  });

  it("refuses log-likelihoods, unknown items and oversized outputs, naming the item", async () => {
    await expect(scoreOutputsAsync(humaneval, null, [{ item: "test/0", loglikelihoods: { a: [-1] } }])).rejects.toThrow(
      /item test\/0: humaneval expects "output"/,
    );
    await expect(scoreOutputsAsync(humaneval, null, [{ item: "test/164", output: "x" }])).rejects.toThrow(/not a humaneval item/);
    await expect(scoreOutputsAsync(humaneval, null, [{ item: "test/1", output: "x".repeat(50_001) }])).rejects.toThrow(
      /item test\/1: output is 50001 characters/,
    );
  });

  it("the outputs hash covers what the model wrote, not the verdicts", () => {
    const a = submittedOutputsSha256(humaneval, [{ item: "test/0", output: "    return False\n" }]);
    const b = submittedOutputsSha256(humaneval, [{ item: "test/0", output: "    return True\n" }]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });
});

describe("the code executor", () => {
  it(
    "canonical solutions pass 164/164 and `return None` bodies pass 0/164",
    async () => {
      const problems = humanEvalProblems();
      const canonical = await scoreOutputsAsync(
        humaneval,
        null,
        problems.map((problem, i) => ({ item: `test/${i}`, output: problem.canonical_solution })),
      );
      const failed = canonical.records.filter((record) => record.scores["pass@1"] !== 1);
      expect(failed.map((record) => `${record.item}: ${record.detail?.reason}`)).toEqual([]);
      expect(canonical.metrics["pass@1"]).toBe(1);
      const none = await scoreOutputsAsync(
        humaneval,
        null,
        problems.map((_, i) => ({ item: `test/${i}`, output: "    return None\n" })),
      );
      expect(none.records.filter((record) => record.scores["pass@1"] !== 0).map((record) => record.item)).toEqual([]);
      expect(none.records[0]).toMatchObject({ extracted: { "pass@1": "fail" }, detail: { reason: "a test assertion failed" } });
    },
    SLOW,
  );

  // Each escape fails safely with its own reason, with and without the static blocklist (the second layer): the
  // sandbox itself holds, and a program after the escape attempt still runs normally in the same task.
  const escapes: [string, CodeProgram, RegExp, RegExp][] = [
    ["import os and run a command", program("    import os\n    os.system('touch /tmp/quorum-escape')\n    return x * 2\n"), /blocked import os/, /the sandbox refused a system call/],
    ["subprocess", program("    import subprocess\n    subprocess.run(['id'])\n    return x * 2\n"), /blocked import subprocess/, /OSError.*processes/],
    ["a socket to the host", program("    import socket\n    socket.create_connection(('127.0.0.1', 5432), timeout=1)\n    return x * 2\n"), /blocked import socket/, /Error/],
    ["writing a host file", program("    open('/work/quorum-escape.txt', 'w').write('x')\n    return x * 2\n"), /blocked name open/, /(FileNotFoundError|OSError|PermissionError)/],
    ["Node through the JavaScript bridge", program("    import js\n    js.process.exit(0)\n    return x * 2\n"), /blocked import js/, /(AttributeError|ImportError|ModuleNotFoundError)/],
    ["pyodide's run_js", program("    from pyodide.code import run_js\n    run_js('process.exit(0)')\n    return x * 2\n"), /blocked import pyodide/, /(ImportError|ModuleNotFoundError)/],
    ["pyodide_js", program("    import pyodide_js\n    return x * 2\n"), /blocked import pyodide_js/, /(ImportError|ModuleNotFoundError)/],
    ["while True", program("    while True:\n        pass\n"), /timed out after 3 s/, /timed out after 3 s/],
    ["allocating without bound", program("    data = []\n    while True:\n        data.append(bytearray(10**7))\n"), /(out of memory|timed out)/, /(out of memory|timed out)/],
    ["deep recursion", program("    return double(x + 1)\n"), /recursion too deep/, /recursion too deep/],
    ["printing megabytes", program("    print('x' * 10**7)\n    return x * 2\n"), /printed more than 1048576 bytes/, /printed more than 1048576 bytes/],
    ["sys.exit", program("    import sys\n    sys.exit(0)\n"), /blocked import sys/, /called sys.exit/],
    ["raising SystemExit", program("    raise SystemExit(0)\n"), /called sys.exit/, /called sys.exit/],
    [
      "monkey-patching check",
      program(
        "    return None\n\nimport builtins\n_build = builtins.__build_class__\ndef _trace(frame, event, arg):\n    g = frame.f_globals\n    if 'check' in g and getattr(g['check'], 'patched', None) is None:\n        fake = lambda candidate: None\n        fake.patched = True\n        g['check'] = fake\n    return _trace\nimport sys\nsys.settrace(_trace)\n",
      ),
      /blocked import builtins/,
      /check function was replaced|a test assertion failed/,
    ],
  ];

  it.each([true, false])(
    "escape attempts fail safely with a clear reason (blocklist %s)",
    async (blocklist) => {
      const executor = new CodeExecutor({ blocklist });
      try {
        for (const [name, attempt, withList, withoutList] of escapes) {
          const verdict = await executor.run(attempt);
          expect(verdict.passed, name).toBe(false);
          expect(verdict.reason, name).toMatch(blocklist ? withList : withoutList);
          const after = await executor.run(program("    return x * 2\n"));
          expect(after, `a normal program after "${name}"`).toMatchObject({ passed: true, reason: "" });
        }
      } finally {
        executor.close();
      }
    },
    SLOW,
  );

  it(
    "a failing program does not leak into the next: builtins and modules are restored",
    async () => {
      const verdicts = await executePrograms(
        [
          program("    return x * 2\n\nimport math\nimport builtins\nmath.floor = lambda v: 0\nbuiltins.len = lambda v: 0\n"),
          program("    import math\n    return math.floor(x * 2.0) + len('') \n"),
        ],
        { blocklist: false },
      );
      expect(verdicts.map((verdict) => verdict.passed)).toEqual([true, true]);
    },
    SLOW,
  );
});
