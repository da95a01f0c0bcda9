// The code executor's child process (see executor.ts): CPython compiled to WebAssembly (pyodide), started by the
// parent under Node's permission model. It reads one JSON request per line on stdin and answers one JSON line per
// request on stdout. Plain JavaScript on purpose: it runs with `node` alone, reading nothing but pyodide's files
// and this file.
import { constants as fsConstants } from "node:fs";
import { constants as osConstants } from "node:os";
import { createInterface } from "node:readline";

const [pyodideDir, outputLimitArg] = process.argv.slice(2);
const OUTPUT_LIMIT = Number(outputLimitArg);
const write = process.stdout.write.bind(process.stdout);
const send = (message) => write(`${JSON.stringify(message)}\n`);

// pyodide's Node file system layer reads open() flags through process.binding("constants"), which the permission
// model forbids; hand it the same constants from the public API and nothing else.
Object.defineProperty(process, "binding", {
  value: (name) => {
    if (name === "constants") return { fs: fsConstants, os: osConstants };
    throw new Error("process.binding is not available in the code executor");
  },
});

let printed = 0;
let overflowed = false;
const sink = {
  write(buffer) {
    printed += buffer.length;
    if (printed > OUTPUT_LIMIT) {
      overflowed = true;
      throw new Error("output limit exceeded");
    }
    return buffer.length;
  },
};

const { loadPyodide } = await import(`${pyodideDir}/pyodide.mjs`);
// jsglobals: `import js` sees an empty object, not Node's global scope.
const pyodide = await loadPyodide({ indexURL: `${pyodideDir}/`, jsglobals: Object.create(null), stdout: () => {}, stderr: () => {} });
pyodide.setStdout(sink);
pyodide.setStderr(sink);

// The harness: static import check (the second layer), the JavaScript bridge removed, one fresh namespace per
// program, interpreter state restored after each.
pyodide.runPython(String.raw`
import ast, builtins, sys

BLOCKED_MODULES = frozenset({
    "os", "sys", "subprocess", "socket", "shutil", "ctypes", "gc", "importlib", "multiprocessing", "threading",
    "signal", "pathlib", "io", "builtins", "inspect", "code", "codeop", "pty", "resource", "select", "selectors",
    "asyncio", "urllib", "http", "ftplib", "smtplib", "tempfile", "glob", "fcntl", "mmap", "pickle", "marshal",
    "js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip", "emscripten",
})
BLOCKED_NAMES = frozenset({"__import__", "exec", "compile", "open", "breakpoint", "globals", "__builtins__", "__subclasses__", "__globals__", "__code__"})

def _blocked(source, entry_point):
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return f"syntax error: {error.msg} (line {error.lineno})"
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        for name in names:
            if name.split(".")[0] in BLOCKED_MODULES:
                return f"blocked import {name} (line {node.lineno})"
        if isinstance(node, ast.Name) and node.id in BLOCKED_NAMES:
            return f"blocked name {node.id} (line {node.lineno})"
        if isinstance(node, ast.Attribute) and node.attr in BLOCKED_NAMES:
            return f"blocked attribute {node.attr} (line {node.lineno})"
    return None

# The JavaScript bridge is removed: importing any of these modules fails from now on.
for _name in list(sys.modules):
    if _name in ("js", "pyodide_js") or _name.split(".")[0] in ("pyodide", "_pyodide", "micropip"):
        sys.modules[_name] = None
for _name in ("js", "pyodide_js", "pyodide", "pyodide.ffi", "pyodide.code", "pyodide.http", "_pyodide", "_pyodide_core", "micropip"):
    sys.modules[_name] = None

# Modules programs commonly use are loaded once here, so each program sees them fresh: their attributes are
# restored after every program (a program that patches math.floor cannot change the next one's answer).
import math, typing, random, copy, string, collections, re, hashlib, itertools, functools, heapq, bisect, fractions, statistics, decimal, operator

_BUILTINS = dict(builtins.__dict__)
_MODULES = dict(sys.modules)
_MODULE_DICTS = {name: (module, dict(vars(module))) for name, module in sys.modules.items()
                 if name not in ("sys", "builtins", "__main__") and isinstance(getattr(module, "__dict__", None), dict)}
_STDOUT, _STDERR = sys.stdout, sys.stderr
_RECURSION = sys.getrecursionlimit()

def _describe(error):
    text = str(error).splitlines()[0] if str(error) else ""
    text = text[:160]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

def _check_code(code):
    # The code object the test's \`def check\` creates: the last one named check in the module's constants.
    found = None
    for const in code.co_consts:
        if getattr(const, "co_name", None) == "check":
            found = const
    return found

def _restore():
    sys.settrace(None)
    sys.setprofile(None)
    builtins.__dict__.clear()
    builtins.__dict__.update(_BUILTINS)
    for name in [name for name in sys.modules if name not in _MODULES]:
        del sys.modules[name]
    sys.modules.update(_MODULES)
    for module, snapshot in _MODULE_DICTS.values():
        attributes = vars(module)
        if attributes != snapshot:
            attributes.clear()
            attributes.update(snapshot)
    sys.stdout, sys.stderr = _STDOUT, _STDERR
    sys.setrecursionlimit(_RECURSION)

def run_program(source, test, entry_point, use_blocklist):
    if use_blocklist:
        reason = _blocked(source, entry_point)
        if reason is not None:
            return ("fail", reason)
    namespace = {"__name__": "__main__"}
    try:
        code = compile(source + "\n" + test + "\n", "<program>", "exec")
        expected = _check_code(code)
        exec(code, namespace)
        check = namespace.get("check")
        if expected is None or getattr(check, "__code__", None) != expected:
            return ("fail", "the test's check function was replaced")
        sys.settrace(None)
        sys.setprofile(None)
        exec(compile("check(" + entry_point + ")", "<check>", "exec"), namespace)
        return ("pass", "")
    except SystemExit:
        return ("fail", "the program called sys.exit")
    except AssertionError:
        return ("fail", "a test assertion failed")
    except RecursionError:
        return ("fail", "recursion too deep")
    except MemoryError:
        return ("fail", "out of memory")
    except BaseException as error:
        return ("fail", _describe(error))
    finally:
        _restore()
`);
const runProgram = pyodide.globals.get("run_program");
// Nothing of Node's beyond this point is needed by the programs: take away what a bridge escape could use.
for (const name of ["fetch", "WebSocket", "XMLHttpRequest", "Request", "Response", "Headers", "FormData", "navigator"]) {
  try {
    delete globalThis[name];
  } catch {
    // not configurable: leave it
  }
}
try {
  Object.defineProperty(process, "getBuiltinModule", { value: undefined });
} catch {
  // absent in this Node version
}

send({ ready: true, python: pyodide.runPython("import platform; platform.python_version()") });

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (!line.trim()) continue;
  const request = JSON.parse(line);
  printed = 0;
  overflowed = false;
  let status = "fail";
  let reason = "";
  try {
    const outcome = runProgram(request.source, request.test, request.entryPoint, request.blocklist !== false);
    status = outcome.get(0);
    reason = outcome.get(1);
    outcome.destroy();
  } catch (error) {
    // A JavaScript error inside pyodide (for example Node's permission model refusing a system call) leaves the
    // interpreter unusable: answer, then stop; the parent starts a fresh sandbox for the next program.
    const text = String(error).split("\n")[0].slice(0, 160);
    reason = /restricted|ERR_ACCESS_DENIED/.test(text) ? `the sandbox refused a system call (${text})` : `executor error: ${text}`;
    send({ id: request.id, nonce: request.nonce, status: "fail", reason, fatal: true });
    process.exit(3);
  }
  if (overflowed) {
    status = "fail";
    reason = `printed more than ${OUTPUT_LIMIT} bytes`;
  }
  send({ id: request.id, nonce: request.nonce, status, reason });
}
