import { checkHost, renderChecks } from '../../doctor/checks.js';
import { gatherFacts } from '../../doctor/facts.js';
import { InputError } from '../../errors.js';
import { defaultExecutorFor } from '../../executors/catalog.js';
import { parseCommandArgs } from '../args.js';
import { type CliIo, EXIT } from '../io.js';
import { JSON_FLAG, printJson } from '../json.js';
import type { Flags } from '../spec.js';
import { CACHE_DIR, stateLayout } from './run.js';

/** The flags of `vmplan doctor`. */
export const DOCTOR_FLAGS = {
  executor: {
    type: 'string',
    value: 'vfkit|qemu',
    choices: ['vfkit', 'qemu'],
    description: "The executor to check for (default: this platform's, vfkit on macOS and qemu on Linux).",
  },
  'vfkit-path': {
    type: 'string',
    value: 'PATH',
    description: 'The vfkit binary to check (default: vfkit on PATH).',
  },
  'runner-dir': {
    type: 'string',
    value: 'DIR',
    description:
      "The GitHub Actions runner's install folder, to check its version (default: found when run by one).",
  },
  'state-dir': {
    type: 'string',
    value: 'DIR',
    description: 'The state folder to check (default .vmplan at the repository root).',
  },
  ...CACHE_DIR,
  ...JSON_FLAG,
} as const satisfies Flags;

/** `vmplan doctor`: checks this host for what vmplan needs and says how to fix each problem; exit 1 on a problem. */
export async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('doctor', args, DOCTOR_FLAGS);
  if (positionals.length > 0)
    throw new InputError(`vmplan doctor takes no operands (got ${positionals.join(' ')})`);
  const layout = stateLayout(io, values['state-dir'], values['cache-dir']);
  const facts = gatherFacts({
    executors: [values.executor ?? defaultExecutorFor(process.platform)],
    env: io.env,
    ...(values['vfkit-path'] === undefined ? {} : { vfkitPath: values['vfkit-path'] }),
    ...(values['runner-dir'] === undefined ? {} : { runnerDir: values['runner-dir'] }),
    folders: [
      { what: 'state folder', path: layout.root, persistent: false },
      { what: 'cache folder', path: layout.cacheDir, persistent: true },
    ],
    imageBuild: true,
  });
  const checks = checkHost(facts);
  const ok = checks.every((check) => check.status !== 'fail');
  if (values.json === true) printJson(io, 'doctor', ok, { checks, facts });
  else io.stdout(renderChecks(checks));
  return ok ? EXIT.ok : EXIT.failed;
}
