// `npm run mutate:scores [-- --check]`: the recorded mutation score of each core module (test/mutation/scores.json),
// when and at which commit it was measured, what its last run cost, and whether its baseline still matches the
// sources (what a run would re-test). `--check` exits 1 when a module is below its floor
// (test/mutation/thresholds.json): a developer's check, never CI's (mutation testing takes hours).
import { baselineStaleness } from './mutation-estimate.js';
import { belowFloor, readFloors, readScores, scoresTable } from './mutation-scores.js';

const scores = readScores();
const floors = readFloors();
console.log(scoresTable(scores, floors, await baselineStaleness()));
if (process.argv.includes('--check')) {
  const low = belowFloor(scores, floors);
  for (const line of low) console.error(line);
  process.exitCode = low.length === 0 ? 0 : 1;
}
