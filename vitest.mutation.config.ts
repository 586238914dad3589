// The tests Stryker runs against each mutant (stryker.config.mjs): the fast tier without the files that only
// drive vmplan as a child process (or exercise no core module). A child process never sees the active mutant,
// so those files cannot kill one; they would only lengthen every module's initial test run by minutes.
import { defineConfig } from 'vitest/config';
import fast from './vitest.fast.config.js';

export default defineConfig({
  ...fast,
  test: {
    ...fast.test,
    // Tests that must hand the code to another user's process skip themselves here: Stryker's sandbox is private to
    // the user running it, and a child process never sees the active mutant anyway.
    env: { ...fast.test?.env, VMPLAN_MUTATION_SANDBOX: '1' },
    exclude: [
      ...(fast.test?.exclude ?? []),
      'test/integration/cli-json.test.ts',
      'test/integration/cli-plan.test.ts',
      'test/integration/cli-terminal.test.ts',
      'test/integration/cli-timings.test.ts',
      'test/integration/cli-validate.test.ts',
      'test/integration/doctor.test.ts',
      'test/integration/npm-package.test.ts',
      'test/integration/plan-elsewhere.test.ts',
      'test/integration/state-folder.test.ts',
      'test/integration/cli-errors.test.ts',
      'test/integration/cli-gc-runs.test.ts',
      'test/integration/cli-noise.test.ts',
      'test/integration/cli-run-order.test.ts',
      'test/integration/cli-running.test.ts',
      'test/integration/local-like-ci.test.ts',
      'test/integration/matrix-run.test.ts',
      // Drives shells in a pseudo-terminal and changes the working folder, which a worker thread cannot.
      'test/integration/completion.test.ts',
      // Boot guests (or skip without one): a child process either way.
      'test/security/privileged-files.test.ts',
      'test/security/unbounded-work.test.ts',
      'test/security/untrusted-secrets.test.ts',
      'test/security/job-text.test.ts',
      // In process, but on the OCI client (not a mutated module): no core mutant was ever covered by it.
      'test/integration/oci-guest-image.test.ts',
    ],
  },
});
