#!/usr/bin/env node
// The `vmplan` command: runs the committed CLI bundle (dist/cli), so no build step is needed.
import '../dist/cli/index.js';
