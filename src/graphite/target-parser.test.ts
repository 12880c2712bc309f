import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TargetErrorCodes, TargetSyntaxError, parseTarget, printTarget, type TargetNode } from "./target-parser.js";

/** The AST without positions, kwargs as a plain object: what the tables compare. */
function shape(node: TargetNode): unknown {
  switch (node.kind) {
    case "call":
      return {
        call: node.name,
        args: node.args.map(shape),
        ...(Object.keys(node.kwargs).length ? { kwargs: Object.fromEntries(Object.entries(node.kwargs).map(([k, v]) => [k, shape(v)])) } : {}),
      };
    case "path":
      return { path: node.text };
    case "string":
      return { string: node.value, quote: node.quote };
    case "number":
      return { number: node.value, integer: node.integer, raw: node.raw };
    case "boolean":
      return { boolean: node.value };
    case "none":
      return { none: true };
  }
}

const path = (text: string) => ({ path: text });
const call = (name: string, args: unknown[], kwargs?: Record<string, unknown>) => ({ call: name, args, ...(kwargs ? { kwargs } : {}) });
const int = (v: number, raw = String(v)) => ({ number: v, integer: true, raw });
const float = (v: number, raw: string) => ({ number: v, integer: false, raw });
const sq = (v: string) => ({ string: v, quote: "'" });
const dq = (v: string) => ({ string: v, quote: '"' });

describe("parseTarget: every form of reference §4", () => {
  it.each<[string, unknown]>([
    // paths: node characters and wildcards of §3.1
    ["servers.web1.cpu.user", path("servers.web1.cpu.user")],
    ["a", path("a")],
    ["servers.*.cpu.user", path("servers.*.cpu.user")],
    ["test.?.cpu", path("test.?.cpu")],
    ["servers.web[12].cpu", path("servers.web[12].cpu")],
    ["servers.web[a-z0-9].cpu", path("servers.web[a-z0-9].cpu")],
    ["servers.web[!1].cpu", path("servers.web[!1].cpu")],
    ["servers.{web1,web3}.cpu.user", path("servers.{web1,web3}.cpu.user")],
    ["servers.web{1,3}{a,b}x.cpu", path("servers.web{1,3}{a,b}x.cpu")],
    ["a.{,x}.b", path("a.{,x}.b")],
    ["a.{x,{y,z}}", path("a.{x,{y,z}}")],
    ["{a,b}.c", path("{a,b}.c")],
    ["a-b.c:d.e=f.g@h.i#j.k$l%m&n+o/p;q<r>s^t_u`v~w!x", path("a-b.c:d.e=f.g@h.i#j.k$l%m&n+o/p;q<r>s^t_u`v~w!x")],
    ["disk.used;dc=east", path("disk.used;dc=east")],
    ["café.größe.東京.😀", path("café.größe.東京.😀")], // any Unicode but whitespace, as Torus names
    ["f(é)", call("f", [path("é")])],
    ["5", path("5")], // a number at the top level is a path
    ["-1.x", path("-1.x")],
    ["true", path("true")],
    ["a\\(b\\)\\,c\\'d\\\"e\\\\f\\|g\\=h\\{i\\}", path("a(b),c'd\"e\\f|g=h{i}")],
    ["a\\.b", path("a.b")],
    ["  a.b  ", path("a.b")],
    // calls
    ["sumSeries(a.b)", call("sumSeries", [path("a.b")])],
    ["constantLine(100)", call("constantLine", [int(100)])],
    ["f()", call("f", [])],
    ["f( )", call("f", [])],
    ["_f_2(x)", call("_f_2", [path("x")])],
    ["sumSeries (a.b)", call("sumSeries", [path("a.b")])],
    ["sumSeries( a.b , c.d )", call("sumSeries", [path("a.b"), path("c.d")])],
    ["f(\n\ta,\r\nb)", call("f", [path("a"), path("b")])],
    ["aliasByNode(movingAverage(app.*.latency,10),1)", call("aliasByNode", [call("movingAverage", [path("app.*.latency"), int(10)]), int(1)])],
    ["sumSeries(a.*, b.{x,y})", call("sumSeries", [path("a.*"), path("b.{x,y}")])],
    // numbers
    ["f(-3)", call("f", [int(-3)])],
    ["f(-0)", call("f", [int(0, "-0")])],
    ["f(2.5)", call("f", [float(2.5, "2.5")])],
    ["f(-2.5)", call("f", [float(-2.5, "-2.5")])],
    ["f(1e6)", call("f", [float(1e6, "1e6")])],
    ["f(1E6)", call("f", [float(1e6, "1E6")])],
    ["f(2.5e-3)", call("f", [float(0.0025, "2.5e-3")])],
    ["f(-1e-2)", call("f", [float(-0.01, "-1e-2")])],
    ["f(1e999)", call("f", [float(Infinity, "1e999")])],
    ["f(1 , 2 )", call("f", [int(1), int(2)])],
    ["f(12345678901234567890)", call("f", [int(Number("12345678901234567890"), "12345678901234567890")])],
    ["f(inf)", call("f", [float(Infinity, "inf")])],
    ["f(INF)", call("f", [float(Infinity, "INF")])],
    // not numbers: graphite-web needs "," or ")" right after one
    ["f(1a)", call("f", [path("1a")])],
    ["f(1.5.x)", call("f", [path("1.5.x")])],
    ["f(1e+6)", call("f", [path("1e+6")])],
    ["f(-inf)", call("f", [path("-inf")])],
    ["f(info)", call("f", [path("info")])],
    // booleans, None
    ["f(true)", call("f", [{ boolean: true }])],
    ["f(false)", call("f", [{ boolean: false }])],
    ["f(True, False)", call("f", [{ boolean: true }, { boolean: false }])],
    ["f(TRUE)", call("f", [{ boolean: true }])],
    ["f(None)", call("f", [{ none: true }])],
    ["f(none)", call("f", [{ none: true }])],
    ["f(trueish)", call("f", [path("trueish")])],
    ["f(None_x)", call("f", [path("None_x")])],
    // strings: taken raw, quotes stripped, backslashes kept
    ["f('x')", call("f", [sq("x")])],
    ['f("x")', call("f", [dq("x")])],
    ["f('')", call("f", [sq("")])],
    ["f('a b,c)d(e')", call("f", [sq("a b,c)d(e")])],
    ["f('it\\'s')", call("f", [sq("it\\'s")])],
    ['f("say \\"hi\\"")', call("f", [dq('say \\"hi\\"')])],
    ["f('a''b')", call("f", [sq("a''b")])],
    ["f('a\"b')", call("f", [sq('a"b')])],
    ["f('\\x41\\n\\\\')", call("f", [sq("\\x41\\n\\\\")])],
    ['aliasSub(constantLine(100), "(^.*$)", "\\1 A")', call("aliasSub", [call("constantLine", [int(100)]), dq("(^.*$)"), dq("\\1 A")])],
    ["seriesByTag('name=disk.used','dc=~east.*')", call("seriesByTag", [sq("name=disk.used"), sq("dc=~east.*")])],
    ["summarize(a, '1h', 'sum')", call("summarize", [path("a"), sq("1h"), sq("sum")])],
    // keyword arguments
    ["movingAverage(a, windowSize=5)", call("movingAverage", [path("a")], { windowSize: int(5) })],
    ["f(a, x = 'y', z=b.c)", call("f", [path("a")], { x: sq("y"), z: path("b.c") })],
    ["f(x=1)", call("f", [], { x: int(1) })],
    ["f(x=g(y))", call("f", [], { x: call("g", [path("y")]) })],
    ["f(__proto__=1)", call("f", [], Object.fromEntries([["__proto__", int(1)]]))],
    ["f(a=)", call("f", [path("a=")])], // graphite-web reads a path when no value follows "="
    ["f(a=.b)", call("f", [path("a=.b")])],
    ["f(a==b)", call("f", [], { a: path("=b") })],
    ["f(a.b=c)", call("f", [path("a.b=c")])],
    // pipes: a|f(x) is f(a, x)
    ["a.b|scale(2)", call("scale", [path("a.b"), int(2)])],
    ["a.b | scale(2) | alias('x')", call("alias", [call("scale", [path("a.b"), int(2)]), sq("x")])],
    ["sumSeries(a)|f()", call("f", [call("sumSeries", [path("a")])])],
    ["f(a|g(1))", call("f", [call("g", [path("a"), int(1)])])],
    ["5|scale(2)", call("scale", [path("5"), int(2)])],
    // template
    ["template(a.$x.b, x='y')", call("template", [path("a.$x.b")], { x: sq("y") })],
    ["template(sumSeries(a.$1), 'x', 2)", call("template", [call("sumSeries", [path("a.$1")]), sq("x"), int(2)])],
    ["template(a.$1)|f()", call("f", [call("template", [path("a.$1")])])],
    ["templateX(a)", call("templateX", [path("a")])],
  ])("%j", (target, expected) => {
    expect(shape(parseTarget(target))).toEqual(expected);
  });

  it("records where each node starts and ends", () => {
    const t = "sumSeries(a.b, scale(c, 2))";
    const ast = parseTarget(t);
    expect([ast.start, ast.end]).toEqual([0, t.length]);
    if (ast.kind !== "call") throw new Error("expected a call");
    const [a, scale] = ast.args;
    expect(t.slice(a.start, a.end)).toBe("a.b");
    expect(t.slice(scale.start, scale.end)).toBe("scale(c, 2)");
    const piped = parseTarget("x.y | f(1)");
    expect([piped.start, piped.end]).toEqual([0, 10]);
  });

  it("keeps keyword arguments on an object with no prototype", () => {
    const ast = parseTarget("f(__proto__=1, constructor=2)");
    if (ast.kind !== "call") throw new Error("expected a call");
    expect(Object.getPrototypeOf(ast.kwargs)).toBeNull();
    expect(Object.keys(ast.kwargs)).toEqual(["__proto__", "constructor"]);
  });
});

describe("printTarget", () => {
  it.each<[string, string]>([
    ["sumSeries( a.b , c.* )", "sumSeries(a.b,c.*)"],
    ["a.b | scale(2) | alias('x')", "alias(scale(a.b,2),'x')"],
    ["5|scale(2)", "5|scale(2)"], // nested, the 5 would read as a number
    ["true|f()|g(1)", "true|f()|g(1)"],
    ["f(x = 1, y='a')", "f(x=1,y='a')"],
    ["f(a\\=b)", "f(a\\=b)"], // an escaped "=" stays escaped, or it would read as a keyword argument
    ["a\\(b.{c,d}", "a\\(b.\\{c\\,d\\}"],
    ["f(1e6, -2.50, INF, None, FALSE)", "f(1e6,-2.50,INF,None,false)"],
    // A path that would read as a number without its escaped dot keeps it escaped, as an argument or a keyword's value.
    ["sumSeries(a)|sumSeries(0\\.9)", "sumSeries(sumSeries(a),0\\.9)"],
    ["f(x=9\\.9, y=-1\\.5e3)", "f(x=9\\.9,y=-1\\.5e3)"],
    ["0\\.9|f()", "0.9|f()"], // piped first, it reads as a path anyway
  ])("%j prints as %j", (target, printed) => {
    expect(printTarget(parseTarget(target))).toBe(printed);
  });

  it("an escaped dot makes a number-like argument a path, and printing keeps it one", () => {
    const ast = parseTarget("f(a,0\\.9)");
    expect(shape(ast)).toEqual({ call: "f", args: [{ path: "a" }, { path: "0.9" }] });
    expect(shape(parseTarget(printTarget(ast)))).toEqual(shape(ast));
  });
});

describe("parseTarget: bad input", () => {
  it.each<[string, number, RegExp]>([
    ["", 0, /empty target/],
    ["   ", 3, /empty target/],
    ["sumSeries(a.b", 13, /expected "," or "\)" after an argument of sumSeries\(\), found end of target/],
    ["sumSeries(a.b))", 14, /unexpected "\)"/],
    ["sumSeries(a.b,", 14, /expected an argument, found end of target/],
    ["f(a,)", 4, /no trailing comma/],
    ["f(a, )", 5, /no trailing comma/],
    ["f(,a)", 2, /expected a path or a function call, found ","/],
    ["f(a b)", 4, /expected "," or "\)"/],
    [")", 0, /expected a path or a function call, found "\)"/],
    ["'x'", 0, /expected a path or a function call/],
    ["f('abc)", 2, /unterminated string \(no closing '\)/],
    ['f("abc)', 2, /unterminated string/],
    ["f('ab\\')", 2, /unterminated string/],
    ["f('a\nb')", 4, /line break inside a string/],
    ["f('\\xg')", 3, /needs hex digits/],
    ["a..b", 2, /empty path node/],
    ["a.", 2, /empty path node/],
    [".a", 0, /expected a path or a function call/],
    ["a.{b,c", 6, /unclosed "\{"/],
    ["a.{b.c}", 4, /inside a brace group/],
    ["a\\xb", 1, /backslash in a path must be followed by one of/],
    ["a(b", 3, /expected "," or "\)"/],
    ["a.b(c)", 3, /unexpected "\("/],
    ["a|b", 2, /expected a function call after "\|"/],
    ["a|", 2, /expected a function call after "\|"/],
    ["f(x=1, a)", 7, /positional argument after a keyword argument/],
    ["f(x=1, x=2)", 7, /keyword argument "x" given twice/],
    ["f(true.x)", 6, /expected "," or "\)"/], // graphite-web reads `true` as a boolean, then fails
    ["f(1 2)", 4, /expected "," or "\)"/], // "1" is no number when "2" follows: it is the path "1"
    ["template()", 9, /template\(\) needs a path or a call/],
    ["template(a, b.c)", 12, /values must be strings or numbers/],
    ["template(a, 'x', k='y')", 17, /either positional or keyword/],
    ["template(a|f())", 10, /expected "," or "\)" in template\(\)/],
    ["a.b\u00a0c", 3, /unexpected "\u00a0"/], // Unicode whitespace is not a path character
    ["a.b\u0085", 3, /unexpected "\u0085"/], // nor a C1 control
    ["a.b\u0001", 3, /unexpected "\\u0001"/],
  ])("%j", (target, position, reason) => {
    let error: unknown;
    try {
      parseTarget(target);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TargetSyntaxError);
    const e = error as TargetSyntaxError;
    expect(e.code).toBe(TargetErrorCodes.BAD_TARGET);
    expect(e.reason).toMatch(reason);
    expect(e.position).toBe(position);
  });

  it("quotes the target and points at the position", () => {
    try {
      parseTarget("sumSeries(a.b");
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe(
        'bad target: expected "," or ")" after an argument of sumSeries(), found end of target at position 13\n  "sumSeries(a.b"\n                ^',
      );
    }
    try {
      parseTarget("f('a\nb')");
      expect.unreachable();
    } catch (e) {
      const [, quoted, caret] = (e as Error).message.split("\n");
      expect(quoted).toBe(`  "f('a\\nb')"`);
      expect(caret.indexOf("^")).toBe(quoted.indexOf("\\n"));
    }
  });

  it("quotes only a window of a long target", () => {
    const target = `sumSeries(${"a".repeat(5_000)}`;
    try {
      parseTarget(target);
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg.length).toBeLessThan(300);
      const [, quoted, caret] = msg.split("\n");
      expect(quoted.startsWith("  …")).toBe(true);
      expect(caret.indexOf("^")).toBe(quoted.length - 1); // under the closing quote: the end of the target
    }
  });

  it("bounds the length before reading anything", () => {
    const huge = "a".repeat(1024 * 1024);
    expect(() => parseTarget(huge)).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_LONG }));
    expect(() => parseTarget("abcdef", { maxLength: 5 })).toThrow(/the limit is 5/);
    expect(parseTarget("abcde", { maxLength: 5 }).kind).toBe("path");
  });

  it("bounds nesting instead of overflowing the stack", () => {
    const nested = (n: number) => "f(".repeat(n) + "x" + ")".repeat(n);
    expect(parseTarget(nested(100)).kind).toBe("call");
    expect(() => parseTarget(nested(101))).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_DEEP }));
    expect(() => parseTarget(nested(30_000), { maxLength: 1e6 })).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_DEEP }));
    expect(() => parseTarget(`a.${"{".repeat(20_000)}`)).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_DEEP }));
    expect(() => parseTarget(nested(5), { maxDepth: 4 })).toThrow(/nested more than 4 levels deep/);
    // a pipe nests the AST as a call does, so it counts the same
    expect(parseTarget("a" + "|f()".repeat(100)).kind).toBe("call");
    expect(() => parseTarget("a" + "|f()".repeat(101))).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_DEEP }));
    expect(() => parseTarget("a" + "|f()".repeat(16_000))).toThrow(expect.objectContaining({ code: TargetErrorCodes.TARGET_TOO_DEEP }));
    expect(parseTarget(`sumSeries(${Array.from({ length: 200 }, () => "a|f()").join(",")})`).kind).toBe("call"); // siblings do not add up
  });
});

// Generators of valid target text, built from the grammar (with random spacing).
const ws = fc.constantFrom("", "", " ", "  ", "\t", "\n");
const pathChar = fc.constantFrom(..."abcXYZ019-_:=@#$%&*+/;<>?[]^`~!é".split(""), "😀");
const escaped = fc.constantFrom(..."(){},.'\"\\|=".split("")).map((c) => `\\${c}`);
const partial = fc.array(fc.oneof({ weight: 6, arbitrary: pathChar }, { weight: 1, arbitrary: escaped }), { minLength: 1, maxLength: 6 }).map((a) => a.join(""));
const { braceNode } = fc.letrec<{ braceNode: string }>((tie) => ({
  braceNode: fc
    .array(fc.oneof({ weight: 4, arbitrary: partial }, { weight: 1, depthSize: "small", arbitrary: fc.array(fc.oneof(fc.constant(""), tie("braceNode")), { minLength: 1, maxLength: 3 }).map((alts) => `{${alts.join(",")}}`) }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((a) => a.join("")),
}));
// A path node must not start like a call (`f(`) or sit next to spacing; partial/brace text never does.
const pathText = fc.array(braceNode, { minLength: 1, maxLength: 4 }).map((nodes) => nodes.join("."));
const stringBody = (q: string) =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(..."ab (),.|=$ {}".split(""), q === "'" ? '"' : "'") },
        { weight: 1, arbitrary: fc.constantFrom("\\n", "\\\\", `\\${q}`, "\\x4f", "\\1") },
        { weight: 1, arbitrary: fc.constant(q + q) },
      ),
      { maxLength: 8 },
    )
    .map((a) => a.join(""));
const stringLit = fc.oneof(stringBody("'").map((b) => `'${b}'`), stringBody('"').map((b) => `"${b}"`));
const numberLit = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((d) => d.toFixed(3)),
  fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -20, max: 20 }), fc.constantFrom("e", "E")).map(([m, e, x]) => `${m}${x}${e}`),
  fc.constantFrom("inf", "Inf"),
);
const literal = fc.oneof(numberLit, stringLit, fc.constantFrom("true", "False", "TRUE", "None", "none"));
const funcName = fc.constantFrom("sumSeries", "scale", "f", "_g2", "aliasSub", "movingAverage");
const argName = fc.constantFrom("x", "windowSize", "xFilesFactor", "__proto__");
// `name=…` as a positional path reads as a keyword argument, in graphite-web as here: not a positional argument.
const positionalExpr = (expr: fc.Arbitrary<string>) => expr.filter((e) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(e));
const { target } = fc.letrec<{ target: string; expr: string; call: string }>((tie) => ({
  target: fc.tuple(ws, tie("expr"), ws).map((p) => p.join("")),
  expr: fc
    .tuple(
      fc.oneof({ weight: 2, arbitrary: pathText }, { weight: 1, depthSize: "small", arbitrary: tie("call") }),
      fc.array(fc.tuple(ws, ws, tie("call")), { maxLength: 2 }),
    )
    .map(([base, pipes]) => base + pipes.map(([a, b, c]) => `${a}|${b}${c}`).join("")),
  call: fc
    .tuple(
      funcName,
      ws,
      fc.array(fc.tuple(ws, fc.oneof({ weight: 1, arbitrary: literal }, { weight: 1, depthSize: "small", arbitrary: positionalExpr(tie("expr")) }), ws), { maxLength: 3 }),
      fc.uniqueArray(fc.tuple(argName, ws, ws, fc.oneof(literal, pathText)), { maxLength: 2, selector: (t) => t[0] }),
    )
    .map(([name, w, args, kwargs]) => {
      const parts = [...args.map(([a, v, b]) => a + v + b), ...kwargs.map(([k, a, b, v]) => `${k}${a}=${b}${v}`)];
      return `${name}${w}(${parts.join(",")})`;
    }),
}));

describe("parseTarget: properties", () => {
  it("parses every target the grammar generates, and printing the AST parses back to the same AST", () => {
    fc.assert(
      fc.property(target, (t) => {
        const ast = parseTarget(t);
        const printed = printTarget(ast);
        expect(shape(parseTarget(printed))).toEqual(shape(ast));
        // and printing is stable
        expect(printTarget(parseTarget(printed))).toBe(printed);
      }),
      { numRuns: 3_000 },
    );
  });

  it("throws nothing but TargetSyntaxError on arbitrary text", () => {
    const noisy = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: fc.constantFrom(..."f(a,b)=1.-e'\"\\|{}[]* tTrueNn".split("")), maxLength: 40 }),
      target.chain((t) => fc.tuple(fc.nat(t.length), fc.nat(t.length)).map(([a, b]) => t.slice(0, Math.min(a, b)) + t.slice(Math.max(a, b) + 1))),
    );
    fc.assert(
      fc.property(noisy, (t) => {
        try {
          const ast = parseTarget(t);
          expect(ast.end).toBeLessThanOrEqual(t.length);
        } catch (e) {
          expect(e).toBeInstanceOf(TargetSyntaxError);
          const err = e as TargetSyntaxError;
          expect(err.position).toBeGreaterThanOrEqual(0);
          expect(err.position).toBeLessThanOrEqual(t.length);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});
