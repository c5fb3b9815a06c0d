// Validates an AsyncAPI document with the AsyncAPI parser: exits non-zero on any error
// diagnostic (warnings are printed). Usage: node asyncapi/validate.mjs ../site/asyncapi.yaml
import { readFile } from "node:fs/promises";

import { DiagnosticSeverity, Parser } from "@asyncapi/parser";

const path = process.argv[2];
if (!path) {
  console.error("usage: node asyncapi/validate.mjs <asyncapi.yaml>");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"), { source: path });
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
for (const d of diagnostics) {
  const level = d.severity === DiagnosticSeverity.Error ? "error" : "warning";
  console.log(`${level}: ${d.code} ${d.message} at ${d.path.join(".")}`);
}
if (errors.length || !document) {
  console.error(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(
  `${path}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ` +
    `${document.operations().length} operations, ${document.messages().length} messages ` +
    `(${diagnostics.length - errors.length} warning(s))`,
);
