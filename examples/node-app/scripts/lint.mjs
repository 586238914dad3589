// A dependency-free lint: every module must parse, and no line may end in whitespace.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

let problems = 0;
for (const folder of ['src', 'scripts', 'test']) {
  for (const name of readdirSync(folder).filter((file) => file.endsWith('.mjs'))) {
    const file = join(folder, name);
    execFileSync(process.execPath, ['--check', file]);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (/\s+$/.test(line)) {
          console.log(`${file}:${index + 1}:${line.trimEnd().length + 1}: error: trailing whitespace`);
          problems++;
        }
      });
  }
}
console.log(problems === 0 ? 'lint: clean' : `lint: ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
