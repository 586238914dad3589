// The GitHub Action's main step: plan, publish the plan, run every job, report (src/action/main-step.ts).
import { mainStep } from './action/main-step.js';

await mainStep();
