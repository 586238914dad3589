// The GitHub Action's post step: stop what a cancelled run left behind, finish its records and check runs.
import { postStep } from './action/post-step.js';

await postStep();
