// Lists the longest functions (name, file, lines), longest first:
// `npx tsx scripts/longest-functions.ts [--top N] [--under src/action]`.
import { functionLengths } from './function-lengths.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};
const top = Number(option('--top') ?? 10);
const under = option('--under');
const lengths = functionLengths(under ?? 'src');
for (const entry of lengths.slice(0, top))
  console.log(`${String(entry.lines).padStart(4)}  ${entry.name}  ${entry.file}`);
